"""Stopword lists for the languages the wires we read are written in (English, Dutch, German).

Kept in code so nothing is downloaded at run time. Lists are per language rather than one
union because words collide across languages ("war" is German for "was" but an English
content word; "die" is an article in Dutch and German). When an item has no language tag
``guess_language`` picks the list whose words cover most of its tokens.
"""

from __future__ import annotations

import unicodedata


def _words(text: str) -> frozenset[str]:
    """Folded like item text is (``für`` -> ``fur``), so lookups match tokens."""
    folded = unicodedata.normalize("NFKD", text)
    return frozenset("".join(c for c in folded if not unicodedata.combining(c)).split())


EN = _words(
    """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves said says say told according new one two
    three year years week month monday tuesday wednesday thursday friday saturday sunday
    today yesterday last first us like may might must shall get got go going went make
    made many much still since around s t don didn doesn isn wasn aren weren won wouldn
    shouldn couldn ve ll re d m
    """
)

NL = _words(
    """
    aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door
    dus een eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun
    iemand iets ik in is ja je kan kon kunnen maar me meer men met mij mijn moet na naar
    niet niets nog nu of om omdat onder ons ook op over reeds te tegen toch toen tot u uit
    uw van veel voor want waren was wat werd wezen wie wil worden wordt zal ze zelf zich
    zij zijn zo zonder zou zegt zei volgens aldus heeft hebben werden wel nog eerder later
    ook zaterdag zondag maandag dinsdag woensdag donderdag vrijdag vandaag gisteren jaar
    jaren week maand twee drie eerste waarbij waar wordt worden onder tussen na al zou
    zouden kunnen moeten hun hen haar
    """
)

DE = _words(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes auch auf aus bei bin bis bist da damit dann das dass dein deine dem den der
    des dich die dies diese diesem diesen dieser dieses dir doch dort du durch ein eine
    einem einen einer eines er es etwas euch euer für gegen gewesen hab habe haben hat
    hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre im in indem ins ist jede jedem
    jeden jeder jedes jener jetzt kann kein keine können könnte man manche mein meine mich
    mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine sich
    sie sind so solche soll sollte sondern sonst über um und uns unser unter viel vom von
    vor während war waren warst was weil weiter welche wenn werde werden wie wieder will
    wir wird wirst wo wollen wollte würde würden zu zum zur zwar zwischen sagte sagt laut
    jahr jahre woche monat zwei drei erste samstag sonntag montag dienstag mittwoch
    donnerstag freitag heute gestern bereits
    """
)

BY_LANG: dict[str, frozenset[str]] = {"en": EN, "nl": NL, "de": DE}


def guess_language(tokens: list[str]) -> str:
    """The language whose stopwords cover most tokens; English when nothing matches."""
    best, best_hits = "en", 0
    for lang, words in BY_LANG.items():
        hits = sum(1 for t in tokens if t in words)
        if hits > best_hits:
            best, best_hits = lang, hits
    return best


def stopwords_for(lang: str | None, tokens: list[str]) -> frozenset[str]:
    """Stopwords for a language tag such as ``"nl"`` or ``"en-GB"``; guessed when unknown."""
    if lang:
        words = BY_LANG.get(lang.lower()[:2])
        if words is not None:
            return words
    return BY_LANG[guess_language(tokens)]
