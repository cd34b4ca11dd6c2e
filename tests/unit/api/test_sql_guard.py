"""The allow-list over ``EXPLAIN AST`` text, on trees recorded from chdb 4.4 (ClickHouse 26.9).
The same rules run against live chdb in tests/integration/test_sql_api_layers.py."""

from __future__ import annotations

import pytest

from wirestream.sql_guard import QueryRefused, check_ast, parse_explain_ast

DATABASES = frozenset({"wirestream", "system", "default", "information_schema", "INFORMATION_SCHEMA"})

CTE_AND_IN = """SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 4)
   ExpressionList (children 1)
    WithElement (children 1)
     Subquery (children 1)
      SelectWithUnionQuery (children 1)
       ExpressionList (children 1)
        SelectQuery (children 2)
         ExpressionList (children 1)
          Identifier id
         TablesInSelectQuery (children 1)
          TablesInSelectQueryElement (children 1)
           TableExpression (children 1)
            TableIdentifier items
   ExpressionList (children 1)
    Function count (children 1)
     ExpressionList
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      TableIdentifier x
   Function in (children 1)
    ExpressionList (children 2)
     Identifier id
     Identifier {target}
"""

EXFIL = """SelectWithUnionQuery (children 2)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Asterisk
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      Function url (children 1)
       ExpressionList (children 2)
        Function concat (children 1)
         ExpressionList (children 2)
          Literal \\'http://e/\\'
          Function file (children 1)
           ExpressionList (children 1)
            Literal \\'/etc/passwd\\'
        Literal \\'CSV\\'
 Literal \\'/tmp/x\\'
"""


def check(text: str) -> None:
    check_ast(parse_explain_ast(text), "wirestream", DATABASES)


def test_cte_and_in_over_own_tables_pass():
    check(CTE_AND_IN.format(target="wirestream.stories"))


def test_in_over_a_system_table_is_refused():
    with pytest.raises(QueryRefused, match="only the wirestream database can be read, not system.one"):
        check(CTE_AND_IN.format(target="system.one"))


def test_exfiltration_is_refused_at_its_outermost_problem():
    with pytest.raises(QueryRefused, match="INTO OUTFILE"):
        check(EXFIL)
    without_outfile = "\n".join(EXFIL.splitlines()[:-1])
    with pytest.raises(QueryRefused, match=r"table functions are not allowed: url\(\)"):
        check(without_outfile)


@pytest.mark.parametrize(("root", "reason"), [("DropQuery", "SELECT or DESCRIBE only"),
                                              ("SetQuery", "SELECT or DESCRIBE only"),
                                              ("KillQueryQuery", "SELECT or DESCRIBE only")])
def test_other_statements_are_refused(root, reason):
    with pytest.raises(QueryRefused, match=reason):
        check(f"{root}  (children 1)\n Identifier items\n")


def test_settings_clause_is_refused():
    tree = "SelectWithUnionQuery (children 1)\n ExpressionList (children 1)\n  SelectQuery (children 2)\n" \
           "   ExpressionList (children 1)\n    Literal UInt64_1\n   Set\n"
    with pytest.raises(QueryRefused, match="SETTINGS clauses are not allowed"):
        check(tree)


def test_two_roots_are_refused():
    with pytest.raises(QueryRefused, match="one statement"):
        parse_explain_ast("SelectWithUnionQuery\nSelectWithUnionQuery\n")


def _from_call(name: str) -> str:
    return f"""SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 2)
   ExpressionList (children 1)
    Asterisk
   TablesInSelectQuery (children 1)
    TablesInSelectQueryElement (children 1)
     TableExpression (children 1)
      Function {name} (children 1)
       ExpressionList (children 1)
        Function equals (children 1)
         ExpressionList (children 2)
          Identifier since
          Function now64 (children 1)
"""


@pytest.mark.parametrize("name", ["stories_active", "wirestream.stories_active"])
def test_the_projects_parameterized_view_may_be_called_in_from(name):
    check_ast(parse_explain_ast(_from_call(name)), "wirestream", DATABASES)


@pytest.mark.parametrize("name", ["file", "url", "system.stories_active", "other.stories_active", "numbers"])
def test_any_other_call_in_from_is_a_refused_table_function(name):
    with pytest.raises(QueryRefused):
        check_ast(parse_explain_ast(_from_call(name)), "wirestream", DATABASES)


# ``SELECT file('/etc/hostname') AS f, hostName() AS `x (children 1)``` as chdb prints it: an
# alias follows the name, and a name with its alias was not on the deny-list (the file was read)
ALIASED = """SelectWithUnionQuery (children 1)
 ExpressionList (children 1)
  SelectQuery (children 1)
   ExpressionList (children 2)
    Function {first} (alias f) (children 1)
     ExpressionList (children 1)
      Literal \\'/etc/hostname\\'
    Function {second} (alias x (children 1)) (children 1)
     ExpressionList
"""


@pytest.mark.parametrize(("first", "second", "refused"), [("file", "lower", "file"), ("lower", "hostName", "hostName"),
                                                          ("getServerSetting", "lower", "getServerSetting")])
def test_an_alias_does_not_hide_a_denied_function(first, second, refused):
    with pytest.raises(QueryRefused, match=rf"function {refused}\(\) is not allowed"):
        check(ALIASED.format(first=first, second=second))
    check(ALIASED.format(first="lower", second="upper"))  # the same shape without one passes


def test_an_aliased_parameterized_view_is_still_the_view():
    check(_from_call("stories_active").replace("Function stories_active (children 1)",
                                               "Function stories_active (alias s) (children 1)"))
    with pytest.raises(QueryRefused, match=r"table functions are not allowed: file\(\)"):
        check(_from_call("file").replace("Function file (children 1)", "Function file (alias s) (children 1)"))
