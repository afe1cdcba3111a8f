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


# -- image prompts (safety/images.py) ---------------------------------------------------------

# lang -> category -> (what is not drawn, what to offer instead); the rule ids and categories
# are the text limits', the words say what a picture cannot show
IMAGE: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "election_process": (
            "No images of election fraud or tampering that did not happen (ballots destroyed, dumped or stuffed, "
            "voting machines tampered with, election workers cheating), and no fake polling-place notices, "
            "election announcements or results graphics.",
            "For how, when and where to vote, see the official source: {official}. I can draw a polling station, "
            "a ballot box or an explainer on how voting works, or draw the scene with invented people in an "
            "invented country, in a clearly labelled illustration.",
        ),
        "fabricated_quote": (
            "No images that put invented words in the mouth of real, named people or institutions, such as fake "
            "screenshots of their posts or quote cards of things they never said.",
            "I can make a quote card of something they actually said, or draw it with invented people in a "
            "clearly labelled illustration.",
        ),
        "impersonation": (
            "No images made to pass as a real person's, account's or official body's own.",
            "I can design it in your own name, or as a clearly labelled parody.",
        ),
        "synthetic_news": (
            "No photorealistic images of real, named people or officials in situations that did not happen "
            "(in hospital, arrested, injured, drunk, taking a bribe and the like), nor of made-up news events "
            "presented as real.",
            "I can draw it with invented people in a clearly labelled illustration, or as a cartoon or "
            "caricature that cannot be mistaken for a photo.",
        ),
        "astroturfing": (
            "No sets of images for sock-puppet accounts or for posing as many different ordinary users.",
            "I can make one image for a post in your own name, or an illustration of the arguments on each side.",
        ),
    },
    "de": {
        "election_process": (
            "Keine Bilder von Wahlbetrug oder Manipulation, die nicht stattgefunden haben (vernichtete, "
            "weggeworfene oder untergeschobene Stimmzettel, manipulierte Wahlgeräte, betrügende Wahlhelfer), und "
            "keine gefälschten Aushänge an Wahllokalen, Wahlbekanntmachungen oder Ergebnisgrafiken.",
            "Wann, wo und wie Sie wählen können, steht in der offiziellen Quelle: {official}. Ich kann ein "
            "Wahllokal, eine Wahlurne oder eine Erklärgrafik zum Wählen zeichnen, oder die Szene mit erfundenen "
            "Personen in einem erfundenen Land als klar gekennzeichnete Illustration.",
        ),
        "fabricated_quote": (
            "Keine Bilder, die echten, namentlich genannten Personen oder Institutionen erfundene Worte in den "
            "Mund legen, etwa gefälschte Screenshots ihrer Beiträge oder Zitatkacheln mit nie Gesagtem.",
            "Ich kann eine Zitatkachel mit etwas gestalten, das sie tatsächlich gesagt haben, oder die Szene mit "
            "erfundenen Personen als klar gekennzeichnete Illustration zeichnen.",
        ),
        "impersonation": (
            "Keine Bilder, die als die eigenen einer echten Person, eines Kontos oder einer Behörde durchgehen sollen.",
            "Ich kann es in Ihrem eigenen Namen gestalten oder als klar gekennzeichnete Parodie.",
        ),
        "synthetic_news": (
            "Keine fotorealistischen Bilder echter, namentlich genannter Personen oder Amtsträger in Situationen, "
            "die es nicht gab (im Krankenhaus, verhaftet, verletzt, betrunken, bei einer Bestechung und "
            "Ähnliches), und keine erfundenen Nachrichtenereignisse, die als echt ausgegeben werden.",
            "Ich kann die Szene mit erfundenen Personen als klar gekennzeichnete Illustration zeichnen, oder als "
            "Cartoon oder Karikatur, die niemand für ein Foto hält.",
        ),
        "astroturfing": (
            "Keine Bildserien für Fake-Konten oder um als viele verschiedene „normale Nutzer“ aufzutreten.",
            "Ich kann ein Bild für einen Beitrag in Ihrem eigenen Namen gestalten oder eine Illustration der "
            "Argumente beider Seiten.",
        ),
    },
    "es": {
        "election_process": (
            "Nada de imágenes de fraudes o manipulaciones electorales que no ocurrieron (papeletas destruidas, "
            "tiradas o metidas de más, máquinas de votación manipuladas, funcionarios electorales haciendo "
            "trampa), ni avisos falsos en colegios electorales, anuncios electorales o gráficos de resultados falsos.",
            "Para saber cómo, cuándo y dónde votar, consulte la fuente oficial: {official}. Puedo dibujar un "
            "colegio electoral, una urna o una infografía sobre cómo se vota, o la escena con personas inventadas "
            "en un país inventado, en una ilustración claramente señalada.",
        ),
        "fabricated_quote": (
            "Nada de imágenes que pongan palabras inventadas en boca de personas o instituciones reales con "
            "nombre, como capturas falsas de sus publicaciones o placas con frases que nunca dijeron.",
            "Puedo hacer una placa con algo que de verdad dijeron o dibujar la escena con personas inventadas en "
            "una ilustración claramente señalada.",
        ),
        "impersonation": (
            "Nada de imágenes hechas para pasar por las de una persona, cuenta u organismo oficial reales.",
            "Puedo diseñarlo en su propio nombre o como parodia claramente señalada.",
        ),
        "synthetic_news": (
            "Nada de imágenes fotorrealistas de personas reales con nombre o de cargos públicos en situaciones que "
            "no ocurrieron (en el hospital, detenidos, heridos, borrachos, aceptando un soborno y similares), ni "
            "de noticias inventadas presentadas como reales.",
            "Puedo dibujar la escena con personas inventadas en una ilustración claramente señalada, o como "
            "caricatura o viñeta que nadie confunda con una foto.",
        ),
        "astroturfing": (
            "Nada de series de imágenes para cuentas falsas o para hacerse pasar por muchos «usuarios corrientes».",
            "Puedo hacer una imagen para una publicación en su propio nombre o una ilustración de los argumentos "
            "de cada parte.",
        ),
    },
}


def image_refusal_text(
    category: str, rule_id: str, lang: str, official_url: str, own_text: str | None = None
) -> str:
    """The refusal of an image prompt: the same shape as a text request's (what is refused,
    the rule id and category, what can be done instead), in words about pictures."""
    lang = lang if lang in LANGS else "en"
    rule, instead = IMAGE[lang][category]
    instead = instead.format(official=official_url or OFFICIAL[lang])
    return f"{REFUSED[lang]} {own_text or rule} ({RULE[lang]} {rule_id}, {category}) {instead}"
