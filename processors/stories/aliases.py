"""Place and name spellings that differ between the wires' languages (nl/en/de), folded to
one form so an item in Dutch and one in German about the same place share the term.

Small and hand-kept on purpose (no gazetteer is installed): capitals, countries and places
that are often in the news, in their folded (lowercase, accent-free) token form.
"""

from __future__ import annotations

_GROUPS = """
moscow moskou moskau
kyiv kiev kiew
ukraine oekraine
russia rusland russland
germany duitsland deutschland
netherlands nederland niederlande
belgium belgie belgien
france frankrijk frankreich
paris parijs
london londen
brussels brussel brussel
cologne keulen koln
munich munchen
vienna wenen wien
warsaw warschau
prague praag prag
rome rom
venice venetie venedig
lisbon lissabon
athens athene athen
beijing peking
turkey turkije turkei
syria syrie syrien
lebanon libanon
egypt egypte agypten
spain spanje spanien
italy italie italien
poland polen
china
japan
vatican vaticaan vatikan
europe europa
european europese europaische europaischen
america amerika
american amerikaanse amerikanische amerikanischen
britain brittannie britannien
british britse britische britischen
queen koningin konigin
pope paus papst
earthquake aardbeving erdbeben
explosion explosie
canal kanaal kanal
"""

ALIASES: dict[str, str] = {
    alias: words[0]
    for words in (line.split() for line in _GROUPS.strip().splitlines())
    for alias in words[1:]
}
