"""What a refusal says, in the language of the request (English, German or Spanish: the
languages the classifier is trained and measured on). The rule ids, categories and the
`policy` object stay the same in every language; an operator's own rule text is shown as
the operator wrote it."""

from __future__ import annotations

import re

from mynah.safety.policy import GENERIC_OFFICIAL, LIMITS

LANGS = ("en", "de", "es")

# category -> (rule text, what to offer instead); English is policy.LIMITS itself
LOCAL: dict[str, dict[str, tuple[str, str]]] = {
    "de": {
        "election_process": (
            "Keine falschen Angaben dazu, wann, wo, wie oder wer wählen kann, keine gefälschten amtlichen "
            "Wahlbekanntmachungen oder Ergebnisse und keine Nachrichten, die Menschen vom Wählen abhalten sollen.",
            "Wie, wann und wo Sie wählen, steht bei der offiziellen Quelle: {official}. Ich kann erklären, wie "
            "Wahlen ablaufen, oder klar gekennzeichnete Fiktion in einem erfundenen Land schreiben.",
        ),
        "fabricated_quote": (
            "Keine erfundenen Zitate oder Aussagen, die realen, namentlich genannten Personen oder Institutionen "
            "zugeschrieben werden, und keine gefälschten Screenshots ihrer Beiträge.",
            "Ich kann zitieren, was sie tatsächlich gepostet haben, ihre wirklichen Positionen zusammenfassen "
            "oder dies als klar gekennzeichnete Satire schreiben.",
        ),
        "impersonation": (
            "Kein Schreiben im Namen einer realen Person, eines Kontos oder einer Behörde, auch keine Beiträge "
            "„als @handle“.",
            "Ich kann Ihnen helfen, es in Ihrem eigenen Namen oder als klar gekennzeichnete Parodie zu schreiben.",
        ),
        "synthetic_news": (
            "Keine erfundenen Nachrichtenberichte über reale Ereignisse, Personen oder Orte, die als echt "
            "ausgegeben werden.",
            "Ich kann zusammenfassen, was Beiträge tatsächlich dazu sagen, oder klar gekennzeichnete Fiktion an "
            "einem erfundenen Ort schreiben.",
        ),
        "astroturfing": (
            "Keine Serien derselben politischen Botschaft, geschrieben als verschiedene „normale Nutzer“ oder "
            "für Fake-Konten.",
            "Ich kann Ihnen helfen, einen Beitrag in Ihrem eigenen Namen zu schreiben, oder die Argumente beider "
            "Seiten darlegen.",
        ),
    },
    "es": {
        "election_process": (
            "Nada de información falsa sobre cuándo, dónde, cómo o quién puede votar, ni avisos electorales "
            "oficiales o resultados falsos, ni mensajes pensados para que la gente no vote.",
            "Para saber cómo, cuándo y dónde votar, consulte la fuente oficial: {official}. Puedo explicar cómo "
            "funciona la votación o escribir ficción claramente señalada en un país inventado.",
        ),
        "fabricated_quote": (
            "Nada de citas o declaraciones inventadas atribuidas a personas o instituciones reales con nombre, "
            "ni capturas de pantalla falsas de sus publicaciones.",
            "Puedo citar lo que de verdad publicaron, resumir sus posiciones reales o escribir esto como sátira "
            "claramente señalada.",
        ),
        "impersonation": (
            "Nada de escribir como una persona, cuenta u organismo oficial reales, incluidas publicaciones "
            "escritas «como @usuario».",
            "Puedo ayudarle a escribirlo en su propio nombre o como parodia claramente señalada.",
        ),
        "synthetic_news": (
            "Nada de noticias inventadas sobre hechos, personas o lugares reales presentadas como reales.",
            "Puedo resumir lo que de verdad dicen las publicaciones sobre ello o escribir ficción claramente "
            "señalada en un lugar inventado.",
        ),
        "astroturfing": (
            "Nada de series del mismo mensaje político escritas como si fueran distintos «usuarios corrientes» "
            "o para cuentas falsas.",
            "Puedo ayudarle a escribir una publicación en su propio nombre o exponer los argumentos de cada parte.",
        ),
    },
}
OFFICIAL = {
    "en": GENERIC_OFFICIAL,
    "de": "die Website Ihrer offiziellen Wahlbehörde",
    "es": "el sitio web de su autoridad electoral oficial",
}
REFUSED = {
    "en": "I can't help with this.",
    "de": "Dabei kann ich nicht helfen.",
    "es": "No puedo ayudar con esto.",
}
WITHHELD = {
    "en": "The rest of this answer was withheld",
    "de": "Der Rest dieser Antwort wurde zurückgehalten",
    "es": "El resto de esta respuesta se ha retenido",
}
RULE = {"en": "rule", "de": "Regel", "es": "regla"}


# Which language a request is in, for the refusal's words only: the commonest short words
# of each language (a request's intent is the classifier's business, not this).
def _words(s: str) -> frozenset[str]:
    return frozenset(s.split())


_WORDS = {
    "de": _words(
        "und der die das ich nicht ein eine einen mit für ist zu den dem von auf wie bitte schreib schreibe "
        "mir sich auch als dass wir sie er es im in über wird werden kann soll meine meinen"
    ),
    "es": _words(
        "el la los las de que y en un una por para con es como escribe escribir me mi se lo del al su sus "
        "más pero qué cómo sobre haz hazme dame quiero puedes"
    ),
    "en": _words(
        "the and of to a in is that for it with as on be this you i my me write make can please about "
        "from they their what how"
    ),
}
_WORD = re.compile(r"[a-zäöüßáéíóúñ]+")


def language(text: str) -> str:
    words = _WORD.findall(text.lower())
    score = {lang: sum(w in ws for w in words) for lang, ws in _WORDS.items()}
    score["de"] += 2 * len(re.findall(r"[äöüß]", text.lower()))
    score["es"] += 2 * len(re.findall(r"[ñ¿¡]", text.lower()))
    best = max(("en", "de", "es"), key=lambda k: score[k])  # ties go to English
    return best if score[best] > 0 else "en"


def refusal_text(
    category: str, rule_id: str, stage: str, lang: str, official_url: str, own_text: str | None = None
) -> str:
    """The refusal (stage "input") or the note on a cut answer (stage "output")."""
    lang = lang if lang in LANGS else "en"
    rule, instead = (
        LOCAL[lang][category] if lang != "en" else (LIMITS[category].text, LIMITS[category].instead)
    )
    rule = own_text or rule
    instead = instead.format(official=official_url or OFFICIAL[lang])
    tag = f"({RULE[lang]} {rule_id}, {category})"
    if stage == "input":
        return f"{REFUSED[lang]} {rule} {tag} {instead}"
    return f"[{WITHHELD[lang]}: {rule} {tag}] {instead}"
