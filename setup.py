"""Builds the story engine's compiled inner loops (processors/stories/_kernels.pyx).

Everything else is in pyproject.toml. The extension is optional: without a C compiler the
install still succeeds and the engine runs its pure-Python reference
(processors/stories/kernels.py), which decides exactly the same, only slower.
``-ffp-contract=off``: no fused multiply-add, whatever the target CPU; a dot product must
round after every product, as numpy's reference does, or the compiled loops would decide
differently.
"""

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # a build without Cython: the pure-Python reference only
    ext_modules = []
else:
    import numpy

    ext_modules = cythonize(
        [Extension("processors.stories._kernels", ["processors/stories/_kernels.pyx"],
                   include_dirs=[numpy.get_include()],
                   define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                   extra_compile_args=["-O2", "-ffp-contract=off"], optional=True)],
        compiler_directives={"language_level": 3}, quiet=True,
    )

setup(ext_modules=ext_modules)
