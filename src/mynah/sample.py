"""A deterministic synthetic social network for demos and tests.

mynah ships no real data, so `mynah sample` makes a small platform from a seed: users
(some of them businesses, some bots), posts on a few dozen topics in English, German and
Spanish with hashtags, @mentions, URLs and emoji, replies and threads, reposts, planted
near-duplicates and spam, customer/business DMs, and chat conversations in OpenAI
`messages` form (reply suggestions and support replies; grounded questions about the posts
are built later, through the server's prompt code: train/grounded.py).

The text comes from a small compositional grammar (opener + claim + detail + closer, each
with topic-specific slots), so the same seed always gives the same network while the
posts vary enough for a model to learn more than a template list.
"""

from __future__ import annotations

import csv
import html
import json
import os
import random
import re
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from mynah.atomic import write_text

LANGS = ("en", "de", "es")
LANG_WEIGHTS = (0.6, 0.2, 0.2)

# topic -> (hashtags, {lang: nouns}); nouns are what people talk about under that topic.
TOPICS: dict[str, tuple[list[str], dict[str, list[str]]]] = {
    "coffee": (
        ["coffee", "espresso"],
        {
            "en": ["espresso", "cold brew", "oat latte", "pour-over", "flat white"],
            "de": ["Espresso", "Filterkaffee", "Hafer-Latte", "Cappuccino"],
            "es": ["café con leche", "espresso", "cortado", "café de olla"],
        },
    ),
    "football": (
        ["football", "matchday"],
        {
            "en": ["the derby", "the penalty", "the new striker", "extra time", "the away game"],
            "de": ["das Derby", "der Elfmeter", "der neue Stürmer", "die Nachspielzeit"],
            "es": ["el clásico", "el penalti", "el nuevo delantero", "la prórroga"],
        },
    ),
    "weather": (
        ["weather", "forecast"],
        {
            "en": ["the heatwave", "the storm", "this rain", "the first snow", "the fog"],
            "de": ["die Hitzewelle", "der Sturm", "der Regen", "der erste Schnee"],
            "es": ["la ola de calor", "la tormenta", "la lluvia", "la niebla"],
        },
    ),
    "elections": (
        ["elections", "vote"],
        {
            "en": ["the debate", "early voting", "the polling stations", "the turnout", "the ballot"],
            "de": ["die Debatte", "die Briefwahl", "die Wahlbeteiligung", "das Wahllokal"],
            "es": ["el debate", "el voto anticipado", "la participación", "las urnas"],
        },
    ),
    "ai": (
        ["AI", "LLM"],
        {
            "en": ["the new model", "open weights", "the chatbot", "fine-tuning", "the benchmark"],
            "de": ["das neue Modell", "offene Gewichte", "der Chatbot", "das Feintuning"],
            "es": ["el nuevo modelo", "los pesos abiertos", "el chatbot", "el ajuste fino"],
        },
    ),
    "gaming": (
        ["gaming", "indiedev"],
        {
            "en": ["the speedrun", "the patch notes", "the boss fight", "co-op mode", "the demo"],
            "de": ["der Speedrun", "das Update", "der Endgegner", "der Koop-Modus"],
            "es": ["el speedrun", "el parche", "el jefe final", "el modo cooperativo"],
        },
    ),
    "music": (
        ["music", "nowplaying"],
        {
            "en": ["the new album", "the concert", "that guitar solo", "the festival lineup", "the remix"],
            "de": ["das neue Album", "das Konzert", "das Gitarrensolo", "das Festival"],
            "es": ["el nuevo disco", "el concierto", "ese solo de guitarra", "el festival"],
        },
    ),
    "cooking": (
        ["cooking", "recipe"],
        {
            "en": ["sourdough", "the lentil soup", "homemade pasta", "the curry", "banana bread"],
            "de": ["Sauerteigbrot", "die Linsensuppe", "Spätzle", "der Apfelkuchen"],
            "es": ["la paella", "la tortilla", "el gazpacho", "las empanadas"],
        },
    ),
    "travel": (
        ["travel", "wanderlust"],
        {
            "en": ["the night train", "the layover", "the hostel", "the coastal road", "my passport"],
            "de": ["der Nachtzug", "der Umstieg", "die Jugendherberge", "die Küstenstraße"],
            "es": ["el tren nocturno", "la escala", "el albergue", "la ruta de la costa"],
        },
    ),
    "transit": (
        ["transit", "commute"],
        {
            "en": ["the bus line", "the metro", "the bike lane", "the delay on line 4", "the new tram"],
            "de": ["die Buslinie", "die U-Bahn", "der Radweg", "die Verspätung der S-Bahn"],
            "es": ["la línea de autobús", "el metro", "el carril bici", "el retraso del tren"],
        },
    ),
    "space": (
        ["space", "astronomy"],
        {
            "en": ["the launch", "the meteor shower", "the lunar eclipse", "the rover", "the new telescope"],
            "de": ["der Raketenstart", "der Sternschnuppenregen", "die Mondfinsternis", "das Teleskop"],
            "es": ["el lanzamiento", "la lluvia de estrellas", "el eclipse lunar", "el telescopio"],
        },
    ),
    "fitness": (
        ["fitness", "running"],
        {
            "en": ["my morning run", "leg day", "the half marathon", "the yoga class", "my step count"],
            "de": ["mein Morgenlauf", "der Halbmarathon", "der Yogakurs", "das Krafttraining"],
            "es": ["mi carrera matutina", "la media maratón", "la clase de yoga", "el entrenamiento"],
        },
    ),
    "movies": (
        ["movies", "cinema"],
        {
            "en": ["the sequel", "the trailer", "the director's cut", "the soundtrack", "the ending"],
            "de": ["die Fortsetzung", "der Trailer", "der Soundtrack", "das Ende"],
            "es": ["la secuela", "el tráiler", "la banda sonora", "el final"],
        },
    ),
    "books": (
        ["books", "amreading"],
        {
            "en": ["the novel", "the audiobook", "the book club pick", "chapter twelve", "the library sale"],
            "de": ["der Roman", "das Hörbuch", "der Buchclub", "die Bibliothek"],
            "es": ["la novela", "el audiolibro", "el club de lectura", "la biblioteca"],
        },
    ),
    "pets": (
        ["pets", "dogsoftwitter"],
        {
            "en": ["my dog", "the rescue cat", "the new puppy", "the vet visit", "the dog park"],
            "de": ["mein Hund", "die Katze aus dem Tierheim", "der Welpe", "der Tierarzt"],
            "es": ["mi perro", "la gata adoptada", "el cachorro", "el veterinario"],
        },
    ),
    "gardening": (
        ["gardening", "plants"],
        {
            "en": ["the tomatoes", "the balcony garden", "the compost", "my basil", "the seedlings"],
            "de": ["die Tomaten", "der Balkongarten", "der Kompost", "das Basilikum"],
            "es": ["los tomates", "el huerto del balcón", "el compost", "la albahaca"],
        },
    ),
    "crypto": (
        ["crypto", "bitcoin"],
        {
            "en": ["the halving", "the exchange outage", "gas fees", "the airdrop", "the new token"],
            "de": ["das Halving", "die Börse", "die Gebühren", "der neue Token"],
            "es": ["el halving", "el exchange", "las comisiones", "el nuevo token"],
        },
    ),
    "stocks": (
        ["stocks", "markets"],
        {
            "en": ["the earnings call", "the index fund", "rate cuts", "the IPO", "the sell-off"],
            "de": ["die Quartalszahlen", "der Indexfonds", "die Zinssenkung", "der Börsengang"],
            "es": [
                "los resultados trimestrales",
                "el fondo indexado",
                "la bajada de tipos",
                "la salida a bolsa",
            ],
        },
    ),
    "climate": (
        ["climate", "energy"],
        {
            "en": [
                "the heat pump",
                "solar panels",
                "the wildfire smoke",
                "the flood warning",
                "the wind farm",
            ],
            "de": ["die Wärmepumpe", "die Solaranlage", "die Hochwasserwarnung", "der Windpark"],
            "es": ["la bomba de calor", "los paneles solares", "el aviso de inundación", "el parque eólico"],
        },
    ),
    "phones": (
        ["tech", "smartphone"],
        {
            "en": ["the battery life", "the new phone", "the camera update", "the OS beta", "the foldable"],
            "de": ["die Akkulaufzeit", "das neue Handy", "das Kamera-Update", "die Beta"],
            "es": ["la batería", "el nuevo móvil", "la actualización de la cámara", "la beta"],
        },
    ),
    "programming": (
        ["programming", "python"],
        {
            "en": ["the merge conflict", "the flaky test", "the refactor", "type hints", "the code review"],
            "de": ["der Merge-Konflikt", "der wackelige Test", "das Refactoring", "das Code-Review"],
            "es": [
                "el conflicto de merge",
                "el test inestable",
                "la refactorización",
                "la revisión de código",
            ],
        },
    ),
    "art": (
        ["art", "illustration"],
        {
            "en": ["the gallery opening", "my sketchbook", "the mural", "the watercolor", "the zine"],
            "de": ["die Vernissage", "mein Skizzenbuch", "das Wandbild", "das Aquarell"],
            "es": ["la inauguración", "mi cuaderno de bocetos", "el mural", "la acuarela"],
        },
    ),
    "fashion": (
        ["fashion", "ootd"],
        {
            "en": ["the thrift haul", "the sneaker drop", "the rain jacket", "the vintage coat"],
            "de": ["der Second-Hand-Fund", "die Sneaker", "die Regenjacke", "der Vintage-Mantel"],
            "es": ["las zapatillas", "la chaqueta", "el abrigo vintage", "la tienda de segunda mano"],
        },
    ),
    "education": (
        ["education", "teachers"],
        {
            "en": ["the exam", "the school trip", "online classes", "the thesis", "office hours"],
            "de": ["die Prüfung", "die Klassenfahrt", "die Abschlussarbeit", "die Sprechstunde"],
            "es": ["el examen", "la excursión", "la tesis", "las clases online"],
        },
    ),
    "health": (
        ["health", "wellbeing"],
        {
            "en": ["the flu shot", "sleep", "the clinic wait", "screen time", "hydration"],
            "de": ["die Grippeimpfung", "der Schlaf", "die Wartezeit", "die Bildschirmzeit"],
            "es": [
                "la vacuna de la gripe",
                "el sueño",
                "la espera en el centro de salud",
                "el tiempo de pantalla",
            ],
        },
    ),
    "housing": (
        ["housing", "rent"],
        {
            "en": ["the rent increase", "the new flat", "the landlord", "the housing fair", "the move"],
            "de": ["die Mieterhöhung", "die neue Wohnung", "der Vermieter", "der Umzug"],
            "es": ["la subida del alquiler", "el piso nuevo", "el casero", "la mudanza"],
        },
    ),
    "local": (
        ["local", "neighborhood"],
        {
            "en": [
                "the farmers market",
                "the street fair",
                "the new bakery",
                "the park cleanup",
                "the road works",
            ],
            "de": ["der Wochenmarkt", "das Straßenfest", "die neue Bäckerei", "die Baustelle"],
            "es": ["el mercado", "la fiesta del barrio", "la panadería nueva", "las obras"],
        },
    ),
    "photography": (
        ["photography", "filmphotography"],
        {
            "en": ["golden hour", "the new lens", "the film roll", "the long exposure"],
            "de": ["die goldene Stunde", "das neue Objektiv", "der Film", "die Langzeitbelichtung"],
            "es": ["la hora dorada", "el objetivo nuevo", "el carrete", "la larga exposición"],
        },
    ),
    "tennis": (
        ["tennis", "grandslam"],
        {
            "en": ["the final set", "the tiebreak", "the serve", "the quarterfinal"],
            "de": ["der Finalsatz", "der Tiebreak", "der Aufschlag", "das Viertelfinale"],
            "es": ["el último set", "el tiebreak", "el saque", "los cuartos de final"],
        },
    ),
    "science": (
        ["science", "research"],
        {
            "en": ["the preprint", "the lab results", "the peer review", "the dataset", "the grant"],
            "de": ["der Preprint", "die Laborergebnisse", "das Peer-Review", "der Datensatz"],
            "es": [
                "el preprint",
                "los resultados del laboratorio",
                "la revisión por pares",
                "el conjunto de datos",
            ],
        },
    ),
    "privacy": (
        ["privacy", "security"],
        {
            "en": ["the data breach", "two-factor login", "the password manager", "the tracking cookies"],
            "de": [
                "das Datenleck",
                "die Zwei-Faktor-Anmeldung",
                "der Passwortmanager",
                "die Tracking-Cookies",
            ],
            "es": [
                "la filtración de datos",
                "la verificación en dos pasos",
                "el gestor de contraseñas",
                "las cookies",
            ],
        },
    ),
    "food_delivery": (
        ["fooddelivery", "takeout"],
        {
            "en": ["the late order", "the delivery fee", "the cold pizza", "the missing fries"],
            "de": ["die späte Lieferung", "die Liefergebühr", "die kalte Pizza", "die fehlenden Pommes"],
            "es": ["el pedido tardío", "la tarifa de envío", "la pizza fría", "las patatas que faltaban"],
        },
    ),
    "airlines": (
        ["travel", "flights"],
        {
            "en": ["the delayed flight", "the lost luggage", "the upgrade", "the boarding queue"],
            "de": ["der verspätete Flug", "das verlorene Gepäck", "das Upgrade", "das Boarding"],
            "es": ["el vuelo retrasado", "la maleta perdida", "el upgrade", "el embarque"],
        },
    ),
    "banking": (
        ["banking", "fintech"],
        {
            "en": ["the app update", "the double charge", "the card freeze", "the savings rate"],
            "de": ["das App-Update", "die doppelte Abbuchung", "die Kartensperre", "der Sparzins"],
            "es": [
                "la actualización de la app",
                "el cargo duplicado",
                "el bloqueo de la tarjeta",
                "el interés",
            ],
        },
    ),
    "telecom": (
        ["5G", "internet"],
        {
            "en": ["the outage", "the fiber install", "the roaming bill", "the signal downtown"],
            "de": ["die Störung", "der Glasfaseranschluss", "die Roaming-Rechnung", "das Netz in der Stadt"],
            "es": ["la caída de red", "la instalación de fibra", "la factura de roaming", "la cobertura"],
        },
    ),
    "festivals": (
        ["festival", "weekend"],
        {
            "en": ["the lantern festival", "the fireworks", "the food stalls", "the parade"],
            "de": ["das Lichterfest", "das Feuerwerk", "die Essensstände", "der Umzug"],
            "es": ["la feria", "los fuegos artificiales", "los puestos de comida", "el desfile"],
        },
    ),
}

CITIES = [
    "Lisbon",
    "Berlin",
    "Madrid",
    "Austin",
    "Toronto",
    "Lagos",
    "Seoul",
    "Mexico City",
    "Leeds",
    "Munich",
    "Valencia",
    "Denver",
    "Hamburg",
    "Seville",
    "Portland",
    "Nairobi",
]
TIMES = {
    "en": [
        "this morning",
        "tonight",
        "today",
        "yesterday",
        "this weekend",
        "right now",
        "last night",
        "all week",
    ],
    "de": ["heute Morgen", "heute Abend", "heute", "gestern", "am Wochenende", "gerade", "die ganze Woche"],
    "es": ["esta mañana", "esta noche", "hoy", "ayer", "este finde", "ahora mismo", "toda la semana"],
}
ADJ = {
    "en": {
        "+": [
            "amazing",
            "so good",
            "underrated",
            "better than expected",
            "honestly great",
            "a delight",
            "wild in a good way",
        ],
        "-": ["a mess", "disappointing", "overhyped", "way too slow", "frustrating", "worse than last year"],
        "0": ["different", "interesting", "not what I expected", "complicated", "surprisingly quiet"],
    },
    "de": {
        "+": ["großartig", "richtig gut", "unterschätzt", "besser als erwartet", "ein Traum"],
        "-": ["ein Chaos", "enttäuschend", "überbewertet", "viel zu langsam", "nervig"],
        "0": ["anders", "interessant", "kompliziert", "überraschend ruhig"],
    },
    "es": {
        "+": ["increíble", "buenísimo", "infravalorado", "mejor de lo esperado", "una maravilla"],
        "-": ["un desastre", "decepcionante", "sobrevalorado", "demasiado lento", "frustrante"],
        "0": ["diferente", "interesante", "complicado", "sorprendentemente tranquilo"],
    },
}
# Claims: {n}=noun, {a}=adjective, {t}=time, {c}=city, {k}=number.
CLAIMS = {
    "en": [
        "{n} was {a} {t}",
        "honestly {n} is {a}",
        "{n} in {c} is {a}",
        "can we talk about {n}? {a}",
        "{t}: {n}, and it was {a}",
        "not gonna lie, {n} was {a}",
        "{k} people asked me about {n} {t}",
        "tried {n} {t} and it was {a}",
        "{n} again. {a}",
        "everyone in {c} is talking about {n}",
        "hot take: {n} is {a}",
        "day {k} of thinking about {n}",
        "{n} {t} felt {a}",
    ],
    "de": [
        "{n} war {t} {a}",
        "ehrlich gesagt ist {n} {a}",
        "{n} in {c} ist {a}",
        "können wir über {n} reden? {a}",
        "{t}: {n}, und es war {a}",
        "{k} Leute haben mich {t} nach {n} gefragt",
        "ganz {c} redet über {n}",
        "{n} schon wieder. {a}",
    ],
    "es": [
        "{n} estuvo {a} {t}",
        "la verdad, {n} es {a}",
        "{n} en {c} es {a}",
        "¿podemos hablar de {n}? {a}",
        "{t}: {n}, y fue {a}",
        "{k} personas me preguntaron por {n} {t}",
        "todo {c} habla de {n}",
        "{n} otra vez. {a}",
    ],
}
OPENERS = {
    "en": [
        "",
        "",
        "",
        "ok so ",
        "update: ",
        "PSA: ",
        "quick thought: ",
        "friends, ",
        "lol ",
        "thread incoming. ",
    ],
    "de": ["", "", "", "also ", "Update: ", "kurze Frage: ", "Leute, ", "hmm, "],
    "es": ["", "", "", "bueno, ", "atención: ", "pregunta rápida: ", "gente, ", "jaja "],
}
DETAILS = {
    "en": [
        "",
        "",
        " Would do it again.",
        " Not sure how I feel.",
        " Who else saw this?",
        " Thoughts?",
        " 10/10.",
        " Never again.",
        " Still processing.",
        " My whole feed agrees.",
        " Anyone have tips?",
        " More later.",
    ],
    "de": [
        "",
        "",
        " Würde ich wieder machen.",
        " Was meint ihr?",
        " Wer hat das auch gesehen?",
        " Nie wieder.",
        " Mehr später.",
    ],
    "es": ["", "", " Lo repetiría.", " ¿Qué opináis?", " ¿Alguien más lo vio?", " Nunca más.", " Más luego."],
}
REPLIES = {
    "en": [
        "agreed, {a}",
        "wait, really? I thought {n} was {a}",
        "same here in {c}",
        "this is so true",
        "strong disagree, {n} is {a}",
        "source?",
        "{k} percent agree",
        "ha, {n} strikes again",
        "thanks for sharing",
        "saw the same {t}",
    ],
    "de": [
        "stimmt, {a}",
        "echt jetzt? Ich fand {n} {a}",
        "hier in {c} genauso",
        "so wahr",
        "sehe ich anders, {n} ist {a}",
        "Quelle?",
    ],
    "es": [
        "totalmente, {a}",
        "¿en serio? a mí {n} me pareció {a}",
        "aquí en {c} igual",
        "muy cierto",
        "no estoy de acuerdo, {n} es {a}",
        "¿fuente?",
    ],
}
EMOJI = [
    "😂",
    "🔥",
    "❤️",
    "🙌",
    "😭",
    "👀",
    "✨",
    "🤔",
    "😅",
    "👍",
    "🎉",
    "☕",
    "⚽",
    "🌧️",
    "🚀",
    "🌱",
    "🐶",
    "📚",
    "🎶",
    "💸",
]
FIRST = [
    "alex",
    "maria",
    "jonas",
    "lucia",
    "sam",
    "fatima",
    "kenji",
    "ana",
    "lea",
    "diego",
    "priya",
    "tom",
    "carmen",
    "felix",
    "noor",
    "ivan",
    "zoe",
    "mateo",
    "hanna",
    "omar",
    "julia",
    "pablo",
    "mia",
    "ben",
]
LAST = [
    "garcia",
    "mueller",
    "smith",
    "lopez",
    "schmidt",
    "okafor",
    "kim",
    "rossi",
    "weber",
    "silva",
    "nguyen",
    "fischer",
    "diaz",
    "brown",
]
BUSINESSES = [
    ("NovaBank", "banking"),
    ("SkyHopAir", "airlines"),
    ("QuickBite", "food_delivery"),
    ("FiberNet", "telecom"),
    ("PixelPhone", "phones"),
    ("GreenGrid", "climate"),
    ("ReadMore", "books"),
    ("PawPal", "pets"),
    ("UrbanRide", "transit"),
    ("BeanThere", "coffee"),
    ("StreamBox", "movies"),
    ("CoinDock", "crypto"),
]
SPAM = [
    "WIN a FREE {p}!!! click {u} now #giveaway #free #win #promo",
    "🔥🔥 {p} 90% OFF today only {u} #deal #sale #free #viral",
    "I made $5000 in a week with {p}, DM me or go to {u} #money #crypto #rich",
    "Claim your {p} before it is gone {u} {u2} #airdrop #free",
]
PRIZES = ["iPhone", "gift card", "crypto airdrop", "cruise", "laptop", "sneakers", "VIP ticket"]
CS_ISSUES = {
    "banking": [
        "my card was charged twice for {r}",
        "the app logs me out every time I open it",
        "my transfer {r} has been pending for {k} days",
    ],
    "airlines": [
        "my flight {r} was cancelled and I have no rebooking",
        "my bag did not arrive on flight {r}",
        "I was charged for a seat on booking {r}",
    ],
    "food_delivery": [
        "order {r} arrived cold",
        "order {r} is missing the fries",
        "my order {r} never arrived",
    ],
    "telecom": [
        "the internet has been down at my place for {k} hours",
        "my bill {r} has roaming charges I did not make",
        "the fiber install {r} was missed",
    ],
    "phones": ["my phone {r} will not charge after the update", "the screen on order {r} arrived cracked"],
    "climate": ["the solar install {r} is delayed", "my meter reading {r} looks wrong"],
    "books": ["ebook order {r} is not in my library", "my membership {r} renewed twice"],
    "pets": ["the food subscription {r} shipped the wrong flavor", "my vet booking {r} disappeared"],
    "transit": ["my monthly pass {r} does not scan", "I was charged twice at the gate, card {r}"],
    "coffee": ["my loyalty points from order {r} are missing", "the mobile order {r} was never made"],
    "movies": [
        "my subscription {r} was charged after I cancelled",
        "the stream keeps buffering on account {r}",
    ],
    "crypto": ["my withdrawal {r} is stuck", "I cannot finish verification on account {r}"],
}
CS_ANSWERS = [
    "Sorry about that, {name}. I have flagged {r} for our team and you will get an update within 24 hours.",
    "Thanks for reaching out, {name}. I can see {r} on our side; we will refund the difference in 3 to 5 business days.",
    "I am sorry for the trouble with {r}. Could you confirm the email on the account so I can look into it?",
    "Thanks, {name}. I have escalated {r} to a specialist and we will message you here as soon as it is fixed.",
]


@dataclass
class User:
    handle: str
    name: str
    lang: str
    topics: list[str]
    is_business: bool = False
    is_bot: bool = False
    sector: str | None = None

    def as_dict(self) -> dict:
        return {
            "handle": self.handle,
            "name": self.name,
            "lang": self.lang,
            "topics": self.topics,
            "is_business": self.is_business,
            "is_bot": self.is_bot,
            "sector": self.sector,
        }


@dataclass
class Network:
    users: list[User]
    posts: list[dict]
    dms: list[dict]
    conversations: list[dict]
    by_id: dict = field(default_factory=dict)


class _Gen:
    """All randomness flows through one seeded `random.Random`, so a seed fixes the network."""

    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.clock = datetime(2026, 1, 5, 7, 0, tzinfo=timezone.utc)
        self.next_id = 1790000000000000000 + seed * 1000003

    def new_id(self) -> str:
        self.next_id += self.r.randint(1_000, 900_000)
        return str(self.next_id)

    def tick(self) -> str:
        self.clock += timedelta(seconds=self.r.randint(5, 240))
        return self.clock.strftime("%Y-%m-%dT%H:%M:%SZ")

    def fill(self, template: str, lang: str, topic: str, mood: str | None = None) -> str:
        r = self.r
        nouns = TOPICS[topic][1][lang]
        mood = mood or r.choice("++-0")
        return template.format(
            n=r.choice(nouns),
            a=r.choice(ADJ[lang][mood]),
            t=r.choice(TIMES[lang]),
            c=r.choice(CITIES),
            k=r.randint(2, 40),
        )

    def url(self) -> str:
        host = self.r.choice(["example.com", "news.example.org", "blog.example.net", "shop.example.com"])
        slug = "".join(self.r.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(6))
        return f"https://{host}/{slug}"


def _make_users(g: _Gen, n_users: int) -> list[User]:
    users: list[User] = []
    for handle, sector in BUSINESSES:
        users.append(User(handle, handle, "en", [sector], is_business=True, sector=sector))
    topics = list(TOPICS)
    seen = {u.handle for u in users}
    while len(users) < n_users:
        first, last = g.r.choice(FIRST), g.r.choice(LAST)
        style = g.r.randint(0, 3)
        handle = [f"{first}_{last}", f"{first}{g.r.randint(1, 99)}", f"{first[0]}{last}", f"the{first}"][
            style
        ]
        if handle in seen:
            # Only a few thousand name combinations exist; big networks need numbered handles.
            if len(seen) < 2000:
                continue
            handle = f"{handle}{len(users)}"
        seen.add(handle)
        lang = g.r.choices(LANGS, LANG_WEIGHTS)[0]
        is_bot = g.r.random() < 0.04
        handle = handle + "_deals" if is_bot else handle
        users.append(
            User(handle, f"{first.title()} {last.title()}", lang, g.r.sample(topics, 3), is_bot=is_bot)
        )
    return users


def _post_text(g: _Gen, user: User, topic: str) -> str:
    r, lang = g.r, user.lang
    text = r.choice(OPENERS[lang]) + g.fill(r.choice(CLAIMS[lang]), lang, topic) + r.choice(DETAILS[lang])
    text = text[0].upper() + text[1:] if r.random() < 0.6 else text
    tags = TOPICS[topic][0]
    if r.random() < 0.5:
        text += " " + " ".join("#" + t for t in r.sample(tags, r.randint(1, len(tags))))
    if r.random() < 0.35:
        text += " " + "".join(r.sample(EMOJI, r.randint(1, 2)))
    if r.random() < 0.15:
        text += " " + g.url()
    return text


def _perturb(g: _Gen, text: str) -> str:
    """A near-duplicate: the same post with small surface edits (what copy-paste accounts do)."""
    r = g.r
    edits = [
        lambda t: t + r.choice(["!", "!!", " 🔥", " 👀", " +1"]),
        lambda t: t.replace(".", "!", 1),
        lambda t: t.lower(),
        lambda t: "via @" + r.choice(FIRST) + ": " + t,
        lambda t: t.replace(" ", "  ", 1),
    ]
    for edit in r.sample(edits, 2):
        text = edit(text)
    return text


def build_network(n_posts: int = 2000, seed: int = 0) -> Network:
    """Build the whole network in memory; `write_network` puts it on disk."""
    if n_posts < 1:
        raise ValueError("--posts must be at least 1")
    g = _Gen(seed)
    users = _make_users(g, max(40, n_posts // 12))
    people = [u for u in users if not u.is_business and not u.is_bot]
    bots = [u for u in users if u.is_bot] or [people[0]]
    businesses = [u for u in users if u.is_business]
    posts: list[dict] = []
    by_id: dict[str, dict] = {}

    def add(
        author: User,
        text: str,
        topic: str | None,
        kind: str,
        reply_to: dict | None = None,
        lang: str | None = None,
        **extra,
    ) -> dict:
        pid = g.new_id()
        post = {
            "id": pid,
            "author": author.handle,
            "created_at": g.tick(),
            "text": text,
            "lang": lang or author.lang,
            "reply_to": reply_to["id"] if reply_to else None,
            "conversation_id": reply_to["conversation_id"] if reply_to else pid,
            "topic": topic,
            "kind": kind,
        }
        post.update(extra)
        posts.append(post)
        by_id[pid] = post
        return post

    while len(posts) < n_posts:
        x = g.r.random()
        if x < 0.50 or len(posts) < 5:  # an original post
            u = g.r.choice(people)
            topic = g.r.choice(u.topics)
            add(u, _post_text(g, u, topic), topic, "post")
        elif x < 0.72:  # a reply, in the replier's language, mentioning the author
            parent = g.r.choice(posts[-200:])
            if parent["kind"] == "spam":
                continue
            u = g.r.choice(people)
            topic = parent["topic"] or g.r.choice(u.topics)
            text = f"@{parent['author']} " + g.fill(g.r.choice(REPLIES[u.lang]), u.lang, topic)
            if g.r.random() < 0.2:
                text += " " + g.r.choice(EMOJI)
            add(u, text, topic, "reply", reply_to=parent)
        elif x < 0.78:  # a self-thread: 1/n ... n/n
            u = g.r.choice(people)
            topic = g.r.choice(u.topics)
            n = g.r.randint(2, 4)
            prev = None
            for i in range(n):
                prev = add(u, f"{i + 1}/{n} " + _post_text(g, u, topic), topic, "thread", reply_to=prev)
        elif x < 0.86:  # a repost
            orig = g.r.choice(posts[-300:])
            if orig["kind"] in ("repost", "spam"):
                continue
            u = g.r.choice(people)
            add(
                u,
                f"RT @{orig['author']}: {orig['text']}",
                orig["topic"],
                "repost",
                lang=orig["lang"],
                repost_of=orig["id"],
            )
        elif x < 0.91:  # a planted near-duplicate of an earlier post
            orig = g.r.choice(posts[-300:])
            if orig["kind"] not in ("post", "thread"):
                continue
            u = g.r.choice(people)
            add(
                u,
                _perturb(g, orig["text"]),
                orig["topic"],
                "near_duplicate",
                lang=orig["lang"],
                near_duplicate_of=orig["id"],
            )
        elif x < 0.95:  # spam from bot accounts
            u = g.r.choice(bots)
            text = g.r.choice(SPAM).format(p=g.r.choice(PRIZES), u=g.url(), u2=g.url())
            add(u, text, None, "spam", lang="en")
        else:  # a business announcement
            b = g.r.choice(businesses)
            noun = g.r.choice(TOPICS[b.sector][1]["en"])
            text = g.r.choice(
                [
                    "Update on {n}: our team is on it, details at {u}",
                    "New this week: {n}, now in {c}. {u}",
                    "We hear you about {n}. DM us and we will sort it out.",
                    "Thanks {c}! {n} is back to normal.",
                ]
            )
            add(b, text.format(n=noun, u=g.url(), c=g.r.choice(CITIES)), b.sector, "business")
    posts = posts[:n_posts]
    by_id = {p["id"]: p for p in posts}
    dms = _make_dms(g, people, businesses, n=max(10, n_posts // 40))
    conversations = _make_conversations(g, posts, dms, n=max(20, n_posts // 10))
    return Network(users, posts, dms, conversations, by_id)


def _make_dms(g: _Gen, people: list[User], businesses: list[User], n: int) -> list[dict]:
    dms = []
    for _ in range(n):
        cust, biz = g.r.choice(people), g.r.choice(businesses)
        issues = CS_ISSUES.get(biz.sector) or CS_ISSUES["banking"]
        ref = f"#{g.r.randint(10000, 99999)}"
        name = cust.name.split()[0]
        conv = g.new_id()
        msgs = [
            (
                cust,
                biz,
                f"Hi @{biz.handle}, "
                + g.r.choice(issues).format(r=ref, k=g.r.randint(2, 9))
                + g.r.choice([".", "!", ". Please help.", ". This is the second time."]),
            ),
            (biz, cust, g.r.choice(CS_ANSWERS).format(name=name, r=ref)),
        ]
        if g.r.random() < 0.5:
            msgs.append(
                (
                    cust,
                    biz,
                    g.r.choice(
                        [
                            "Thanks, that works.",
                            "Done, sent you the email.",
                            "Still waiting...",
                            "ok thank you",
                        ]
                    ),
                )
            )
        for sender, recipient, text in msgs:
            dms.append(
                {
                    "id": g.new_id(),
                    "conversation_id": conv,
                    "sender": sender.handle,
                    "recipient": recipient.handle,
                    "created_at": g.tick(),
                    "text": text,
                }
            )
    return dms


def _make_conversations(g: _Gen, posts: list[dict], dms: list[dict], n: int) -> list[dict]:
    """Chat data in OpenAI `messages` form that needs no retrieval: reply suggestions for a
    post given in the question, and support replies to a customer's DM.

    Questions about what the network says are not here: their answers must come from the
    posts a search puts in the prompt, so they are built through the server's own prompt
    code once a post store exists (train/grounded.py). Answered from memory, they taught
    the model to invent quotes of real accounts."""
    convs = []
    originals = [p for p in posts if p["kind"] in ("post", "thread")] or posts
    system = "You are mynah, an assistant that answers from the posts on this platform and quotes them."
    dm_threads: dict[str, list[dict]] = {}
    for m in dms:
        dm_threads.setdefault(m["conversation_id"], []).append(m)
    threads = [t for t in dm_threads.values() if len(t) >= 2]
    for i in range(n):
        if i % 2 == 0 or not threads:
            p = g.r.choice(originals)
            reply = g.fill(g.r.choice(REPLIES["en"]), "en", p["topic"] or "local", "+")
            msgs = [
                {"role": "user", "content": f'Suggest a friendly reply to this post: "{p["text"]}"'},
                {"role": "assistant", "content": f"@{p['author']} {reply}"},
            ]
        else:
            t = g.r.choice(threads)
            msgs = [
                {
                    "role": "user",
                    "content": f'A customer wrote to @{t[0]["recipient"]}: "{t[0]["text"]}" Draft the support reply.',
                },
                {"role": "assistant", "content": t[1]["text"]},
            ]
        convs.append({"messages": [{"role": "system", "content": system}, *msgs]})
    return convs


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    _write_lines(path, [json.dumps(row, ensure_ascii=False) for row in rows])


# ---- each business's knowledge base, for the DM service agent (mynah kb ingest) ----------------
#
# Deterministic (no random draws, so a seed's network is unchanged): per sector, the help
# page's sections as (level, heading, text), level 1 or 2 (a level-1 heading with no text
# only groups its subsections), and 5-8 FAQ pairs. Every section is 1-3 sentences that
# answer the sector's CS_ISSUES in concrete terms; "{b}" is the business's handle. The
# sections every business has (account, contact, a person) come from KB_COMMON.

KB_SECTORS: dict[str, dict] = {
    "banking": {
        "about": "{b} is a mobile bank with current accounts, cards and transfers.",
        "sections": [
            (1, "Cards and payments", ""),
            (
                2,
                "Charged twice",
                "If your card was charged twice for the same purchase, the second charge is usually a "
                "pending hold that disappears within 3 business days. If it is still there after that, "
                "send us the date and amount and we refund the duplicate charge.",
            ),
            (
                2,
                "Lost or stolen card",
                "Freeze the card at once in the app under Cards > Freeze, then order a replacement; "
                "it arrives in 5 to 7 business days.",
            ),
            (
                1,
                "Transfers",
                "Transfers between {b} accounts are instant; transfers to other banks take 1 to 2 business "
                "days. A transfer pending for more than 3 business days is usually held for a security "
                "check: send us the transfer reference and we chase it the same day.",
            ),
            (
                1,
                "Account and login",
                "If the app logs you out every time you open it, update the app and turn off battery "
                "saving for it. If it still logs you out, reset your passcode from the login screen; "
                "your money is safe while you do.",
            ),
            (
                1,
                "Refunds",
                "Refunds of duplicate or disputed card payments reach your account within 3 to 5 "
                "business days after we confirm them.",
            ),
            (
                1,
                "Billing and fees",
                "The standard account is free; the Plus plan costs 4.99 a month, billed on the 1st. "
                "Every fee is listed in the app under Statements.",
            ),
        ],
        "hours": "chat support answers 24 hours a day, phone support Monday to Friday 8:00-20:00",
        "faq": [
            (
                "Why was my card charged twice?",
                "Usually one of the two is a pending hold that drops off within 3 business days; if not, we refund the duplicate charge.",
            ),
            (
                "How long does a transfer take?",
                "Instant between {b} accounts, 1 to 2 business days to other banks.",
            ),
            (
                "My transfer is pending, what can I do?",
                "After 3 business days, send us the transfer reference and we chase the security check.",
            ),
            (
                "How do I freeze my card?",
                "In the app, go to Cards > Freeze; you can unfreeze it the same way.",
            ),
            (
                "The app keeps logging me out.",
                "Update the app, turn off battery saving for it, and reset your passcode if it continues.",
            ),
            ("Is there a monthly fee?", "The standard account is free; the Plus plan is 4.99 a month."),
        ],
    },
    "airlines": {
        "about": "{b} flies short and medium routes; these answers cover bookings, bags and changes.",
        "sections": [
            (1, "Cancelled and delayed flights", ""),
            (
                2,
                "Rebooking",
                "If your flight was cancelled, we rebook you on the next available {b} flight at no cost; "
                "the new flight shows under My Bookings. If no rebooking appears within 2 hours, send us "
                "the booking reference and we rebook you by hand.",
            ),
            (
                2,
                "Compensation",
                "For a flight cancelled less than 14 days before departure, or delayed more than 3 hours, "
                "you can claim compensation under My Bookings > Claims.",
            ),
            (1, "Baggage", ""),
            (
                2,
                "Lost or delayed bags",
                "If your bag did not arrive, report it at the baggage desk at the airport or online within "
                "24 hours with your bag tag number. Most delayed bags are delivered to your address within "
                "2 days, and we refund essentials you buy meanwhile.",
            ),
            (
                2,
                "Baggage allowance",
                "Every fare includes one cabin bag of up to 8 kg; checked bags of up to 23 kg can be added "
                "under My Bookings.",
            ),
            (
                1,
                "Seats and fees",
                "Choosing a seat in advance costs 6 to 25 depending on the row; a seat assigned at check-in "
                "is free. If you were charged for a seat you did not choose, or your seat was changed, we "
                "refund the seat charge.",
            ),
            (
                1,
                "Refunds",
                "If you do not want a rebooking, a cancelled flight is refunded in full to the original "
                "payment method within 7 business days. Other fares can be changed for a fee.",
            ),
        ],
        "hours": "we answer messages 24 hours a day, every day, including during disruptions",
        "faq": [
            (
                "My flight was cancelled, what now?",
                "We rebook you on the next available flight for free; if you prefer, we refund the ticket in full.",
            ),
            (
                "My bag did not arrive, what should I do?",
                "Report it at the baggage desk or online within 24 hours with your bag tag number.",
            ),
            (
                "Why was I charged for a seat?",
                "Seats chosen in advance cost 6 to 25; if you did not choose one, we refund the seat charge.",
            ),
            (
                "How much luggage can I bring?",
                "One cabin bag of up to 8 kg; checked bags of up to 23 kg can be added.",
            ),
            (
                "Can I get compensation for a delay?",
                "For delays over 3 hours you can claim under My Bookings > Claims.",
            ),
        ],
    },
    "food_delivery": {
        "about": "{b} delivers food from local restaurants in about 30 minutes.",
        "sections": [
            (1, "Problems with an order", ""),
            (
                2,
                "Cold or damaged food",
                "If your order arrived cold or spilled, send a photo in this chat within 24 hours and we "
                "refund the affected items.",
            ),
            (
                2,
                "Missing items",
                "If an item such as fries or a drink is missing from your order, tell us which one and we "
                "refund it at once.",
            ),
            (
                2,
                "Order never arrived",
                "If your order never arrived but shows as delivered, we check the courier's GPS trace and "
                "refund the full order, delivery fee included.",
            ),
            (
                1,
                "Delivery and tracking",
                "You can follow your courier live on the map in the app; most deliveries take 25 to 45 "
                "minutes.",
            ),
            (
                1,
                "Refunds",
                "Refunds go back to your card within 3 to 5 business days, or at once as {b} credit if you "
                "prefer.",
            ),
            (
                1,
                "Billing",
                "The delivery fee is shown before you pay; {b} Plus members pay no delivery fee on orders "
                "over 15.",
            ),
        ],
        "hours": "we answer messages every day from 10:00 to 1:00, while restaurants deliver",
        "faq": [
            ("My order arrived cold.", "Send a photo within 24 hours and we refund the affected items."),
            (
                "Something is missing from my order.",
                "Tell us which item is missing and we refund it at once.",
            ),
            (
                "My order never arrived.",
                "We check the courier's GPS trace and refund the full order, delivery fee included.",
            ),
            ("Where is my courier?", "Open the order in the app to follow the courier live on the map."),
            ("How fast is a refund?", "3 to 5 business days to your card, or at once as credit."),
        ],
    },
    "telecom": {
        "about": "{b} provides fiber internet, mobile plans and TV.",
        "sections": [
            (
                1,
                "Internet down or slow",
                "If the internet is down at your place, unplug the router for 30 seconds and check the "
                "outage map in the app. If it is still down after an hour, message us and we open a repair "
                "ticket; an outage longer than 24 hours is credited on your next bill.",
            ),
            (1, "Bills and charges", ""),
            (
                2,
                "Roaming charges",
                "Roaming charges appear when your phone connects to a network abroad. If your bill shows "
                "roaming charges you did not make, send us the bill number and we review the usage and "
                "correct the bill.",
            ),
            (
                2,
                "Paying your bill",
                "Bills are issued on the 1st and paid by direct debit on the 15th; you can see every bill "
                "in the app under Billing.",
            ),
            (
                1,
                "Installation appointments",
                "A technician visits between 8:00 and 18:00 on the day you choose. If your fiber install "
                "was missed, we book a new visit within 3 days and waive the installation fee.",
            ),
            (
                1,
                "Refunds",
                "Credits and refunds for outages or wrong charges appear on your next bill, or are paid to "
                "your account within 5 business days if you have left {b}.",
            ),
        ],
        "hours": "technical support answers 24 hours a day; billing questions Monday to Saturday 8:00-20:00",
        "faq": [
            (
                "My internet is down.",
                "Unplug the router for 30 seconds and check the outage map; if it is still down after an hour, we open a repair ticket.",
            ),
            (
                "Why are there roaming charges on my bill?",
                "Your phone connected to a network abroad; if you did not make them, send the bill number and we correct the bill.",
            ),
            (
                "The technician did not come for my install.",
                "We book a new visit within 3 days and waive the installation fee.",
            ),
            ("When is my bill paid?", "Bills are issued on the 1st and paid by direct debit on the 15th."),
            (
                "Do I get money back for an outage?",
                "Outages longer than 24 hours are credited on your next bill.",
            ),
        ],
    },
    "phones": {
        "about": "{b} sells its own smartphones online, with a 2-year warranty.",
        "sections": [
            (
                1,
                "Charging and battery",
                "If your phone will not charge after a software update, try another cable and charger, "
                "then restart it by holding the power button for 15 seconds. If it still does not charge, "
                "book a free repair in the app.",
            ),
            (
                1,
                "Software updates",
                "Updates install overnight when the phone is charging and on Wi-Fi; you can check for one "
                "under Settings > System > Update.",
            ),
            (
                1,
                "Damaged on arrival",
                "If your phone or its screen arrived cracked or damaged, send a photo within 14 days of "
                "delivery and we ship a replacement for free.",
            ),
            (
                1,
                "Warranty and repairs",
                "Every {b} phone has a 2-year warranty that covers faults but not drops or water damage. "
                "Repairs take 5 to 7 business days, with free shipping both ways.",
            ),
            (
                1,
                "Returns and refunds",
                "You can return a phone within 30 days for a full refund; the refund reaches your card "
                "within 5 business days after the phone arrives back.",
            ),
        ],
        "hours": "we answer messages Monday to Saturday, 9:00-21:00",
        "faq": [
            (
                "My phone stopped charging after the update.",
                "Try another cable and charger and restart it; if it still will not charge, book a free repair.",
            ),
            (
                "My screen arrived cracked.",
                "Send a photo within 14 days of delivery and we ship a replacement for free.",
            ),
            ("What does the warranty cover?", "Faults for 2 years; not drops or water damage."),
            ("Can I return my phone?", "Yes, within 30 days for a full refund."),
            ("How long does a repair take?", "5 to 7 business days, with free shipping both ways."),
        ],
    },
    "climate": {
        "about": "{b} installs home solar panels and supplies green electricity with smart meters.",
        "sections": [
            (
                1,
                "Solar installation",
                "Solar installs are scheduled 4 to 8 weeks after the site survey. If your solar install is "
                "delayed, we tell you the new date and the reason, usually a parts shortage, and you can "
                "cancel free of charge.",
            ),
            (
                1,
                "Meter readings",
                "Your smart meter sends a reading every month. If a meter reading looks wrong, send a photo "
                "of the meter display and we correct the bill within 5 business days.",
            ),
            (
                1,
                "Billing",
                "Electricity bills are monthly and based on your meter readings; solar you export is paid "
                "back as credit on the same bill.",
            ),
            (
                1,
                "Refunds",
                "Overpaid bills and cancelled install deposits are refunded to your bank account within "
                "10 business days.",
            ),
        ],
        "hours": "we answer messages Monday to Friday, 8:00-18:00",
        "faq": [
            (
                "When will my solar panels be installed?",
                "4 to 8 weeks after the site survey; we tell you if the date moves.",
            ),
            (
                "My solar install is delayed.",
                "We send the new date and the reason, and you can cancel free of charge.",
            ),
            (
                "My meter reading looks wrong.",
                "Send a photo of the meter display and we correct the bill within 5 business days.",
            ),
            ("How am I paid for the solar I export?", "As credit on your monthly bill."),
            (
                "How do I get my deposit back?",
                "Cancelled install deposits are refunded within 10 business days.",
            ),
        ],
    },
    "books": {
        "about": "{b} sells ebooks and audiobooks, with a monthly membership.",
        "sections": [
            (
                1,
                "Ebooks and your library",
                "Ebooks you buy appear in your library within a few minutes. If an ebook order is not in "
                "your library, sync the app by pulling down on the Library page and check that you are "
                "signed in with the account you bought it with.",
            ),
            (
                1,
                "Membership",
                "The membership renews every month on the day you joined and gives one credit for any "
                "book. If your membership renewed twice, we refund the duplicate renewal within 3 to 5 "
                "business days.",
            ),
            (
                1,
                "Refunds",
                "You can return an ebook within 7 days of buying it if you have read less than a tenth of "
                "it; the refund goes to your original payment method.",
            ),
        ],
        "hours": "we answer messages every day, 8:00-22:00",
        "faq": [
            (
                "My ebook is not in my library.",
                "Pull down on the Library page to sync, and check you are signed in with the account you bought it with.",
            ),
            ("My membership renewed twice.", "We refund the duplicate renewal within 3 to 5 business days."),
            ("When does my membership renew?", "Every month on the day you joined."),
            ("Can I return an ebook?", "Within 7 days, if you have read less than a tenth of it."),
            ("Do membership credits expire?", "No, unused credits stay while your membership is active."),
        ],
    },
    "pets": {
        "about": "{b} delivers pet food subscriptions and books vet appointments.",
        "sections": [
            (
                1,
                "Food subscriptions",
                "You can change the flavor, size or delivery date of a food subscription in the app. If "
                "we shipped the wrong flavor, keep it or donate it and we send the right one for free.",
            ),
            (
                1,
                "Vet bookings",
                "Vet bookings are listed under Appointments in the app. If a vet booking disappeared, the "
                "clinic may have moved it; message us and we restore it or find the next free slot.",
            ),
            (
                1,
                "Refunds",
                "Refunds for wrong or damaged deliveries go back to your card within 5 business days.",
            ),
        ],
        "hours": "we answer messages every day, 8:00-20:00; for an emergency, call your nearest vet",
        "faq": [
            ("You sent the wrong flavor.", "Keep it or donate it, and we send the right flavor for free."),
            (
                "How do I change my subscription?",
                "In the app you can change the flavor, size or delivery date.",
            ),
            (
                "My vet booking disappeared.",
                "The clinic may have moved it; we restore it or find the next free slot.",
            ),
            ("Can I pause deliveries?", "Yes, pause the subscription in the app for up to 3 months."),
            ("How long does a refund take?", "Up to 5 business days to your card."),
        ],
    },
    "transit": {
        "about": "{b} runs the city's buses, trams and metro.",
        "sections": [
            (
                1,
                "Passes and tickets",
                "A monthly pass is valid from the first to the last day of the month. If your monthly pass "
                "does not scan at the gate, open it in the app and turn up the screen brightness; if it "
                "still fails, show it to staff and send us the pass number.",
            ),
            (
                1,
                "Fares and card payments",
                "You can tap a contactless card at the gate; fares are capped at the price of a day ticket. "
                "If you were charged twice at the gate, the second tap is refunded automatically within 3 "
                "days; otherwise send us the last four digits of the card and the time of travel.",
            ),
            (
                1,
                "Refunds",
                "Refunds of unused passes and double charges go back to the card you paid with within 5 "
                "business days.",
            ),
            (
                1,
                "Lost property",
                "Items left on a bus, tram or train are kept for 30 days at the central station lost "
                "property office.",
            ),
        ],
        "hours": "we answer messages every day, 6:00-23:00, while services run",
        "faq": [
            (
                "My monthly pass does not scan.",
                "Turn up the screen brightness; if it still fails, show it to staff and send us the pass number.",
            ),
            ("I was charged twice at the gate.", "The second tap is refunded automatically within 3 days."),
            ("Is there a daily fare cap?", "Yes, contactless fares are capped at the price of a day ticket."),
            ("I lost something on a bus.", "Lost property is kept for 30 days at the central station."),
            (
                "Can I get a refund for an unused pass?",
                "Yes, to the card you paid with within 5 business days.",
            ),
        ],
    },
    "coffee": {
        "about": "{b} is a coffee chain with a mobile ordering app and a loyalty program.",
        "sections": [
            (
                1,
                "Loyalty points",
                "You earn one point per drink, and ten points give a free drink; points appear within 24 "
                "hours of an order. If loyalty points from an order are missing, send us the order number "
                "and we add them by hand.",
            ),
            (
                1,
                "Mobile orders",
                "A mobile order is made when you arrive within 100 m of the shop. If a mobile order was "
                "never made, show the order at the counter and we make it at once, or we refund it in full.",
            ),
            (
                1,
                "Refunds",
                "Refunds for mobile orders go back to your card or app balance within 3 business days.",
            ),
        ],
        "hours": "we answer messages every day, 7:00-19:00",
        "faq": [
            ("My loyalty points are missing.", "Send us the order number and we add the points by hand."),
            (
                "My mobile order was never made.",
                "Show the order at the counter and we make it at once, or refund it in full.",
            ),
            ("How many points for a free drink?", "Ten points, one per drink."),
            ("When is my mobile order made?", "When you arrive within 100 m of the shop."),
            ("How long does a refund take?", "Up to 3 business days to your card or app balance."),
        ],
    },
    "movies": {
        "about": "{b} streams films and series on a monthly subscription.",
        "sections": [
            (
                1,
                "Subscription and cancelling",
                "You can cancel your subscription at any time under Account > Subscription and keep "
                "watching until the end of the paid month. If your subscription was charged after you "
                "cancelled, we refund that charge in full.",
            ),
            (
                1,
                "Streaming and buffering",
                "If the stream keeps buffering, check that your connection gives at least 5 Mbps for HD, "
                "restart the app and lower the quality under Settings. If it still buffers on a fast "
                "connection, send us your account number and device.",
            ),
            (
                1,
                "Billing",
                "Subscriptions are billed monthly on the day you joined; you can see every payment under "
                "Account > Billing.",
            ),
            (
                1,
                "Refunds",
                "Refunds of charges after cancelling, or of double charges, reach your card within 5 "
                "business days.",
            ),
        ],
        "hours": "we answer messages every day, 9:00-23:00",
        "faq": [
            ("I was charged after I cancelled.", "We refund that charge in full."),
            (
                "The stream keeps buffering.",
                "Check for at least 5 Mbps, restart the app and lower the quality under Settings.",
            ),
            (
                "How do I cancel my subscription?",
                "Under Account > Subscription; you keep watching until the end of the paid month.",
            ),
            ("On how many screens can I watch?", "Two at once on the standard plan, four on premium."),
            ("When am I billed?", "Monthly, on the day you joined."),
        ],
    },
    "crypto": {
        "about": "{b} is an exchange for buying, selling and storing crypto assets.",
        "sections": [
            (
                1,
                "Withdrawals",
                "Withdrawals are sent within 30 minutes, but the blockchain can take longer to confirm them. "
                "If a withdrawal is stuck for more than 24 hours, send us the withdrawal ID; we never ask for "
                "your password or recovery phrase.",
            ),
            (
                1,
                "Verification",
                "To finish verification, upload a photo of your ID and a selfie in good light. If you "
                "cannot finish verification, check that the ID has not expired and that the photo shows all "
                "four corners.",
            ),
            (
                1,
                "Fees",
                "Trading fees are 0.1% per trade; withdrawal fees depend on the network and are shown "
                "before you confirm.",
            ),
            (
                1,
                "Refunds",
                "A deposit we cannot credit, for example to the wrong network, is returned to the sending "
                "address within 5 business days, minus the network fee.",
            ),
        ],
        "hours": "we answer messages 24 hours a day, every day",
        "faq": [
            (
                "My withdrawal is stuck.",
                "After 24 hours, send us the withdrawal ID; we never ask for your password.",
            ),
            (
                "I cannot finish verification.",
                "Check that your ID has not expired and that the photo shows all four corners.",
            ),
            ("What are the trading fees?", "0.1% per trade."),
            (
                "How long does a withdrawal take?",
                "It is sent within 30 minutes; the blockchain may take longer to confirm.",
            ),
            (
                "I sent a deposit to the wrong network.",
                "We return it to the sending address within 5 business days, minus the network fee.",
            ),
        ],
    },
}
KB_COMMON = [
    (
        1,
        "Account and login",
        "To reset your password, choose Forgot password on the login screen; the link is valid for 30 "
        "minutes. If you no longer have access to your email address, message us and we verify you another "
        "way.",
    ),
    (
        1,
        "Opening hours and contact",
        "{b} customer service: {hours}. You can also email support@{domain}.example.",
    ),
    (
        1,
        "Talking to a person",
        "Write 'agent' in this chat and a member of the {b} support team takes over, usually within 10 "
        "minutes during opening hours. We never ask for your password in a message.",
    ),
]
KB_COMMON_FAQ = [
    ("How do I talk to a person?", "Write 'agent' in this chat and a member of the support team takes over."),
    (
        "How do I reset my password?",
        "Choose Forgot password on the login screen; the link is valid for 30 minutes.",
    ),
]


def knowledge_base(business: str) -> dict[str, str]:
    """The knowledge-base files of a business of BUSINESSES (its handle): {file name: text},
    a help page `<Handle>.md` and an FAQ `<Handle>-faq.jsonl`. Deterministic."""
    sector = dict(BUSINESSES).get(business)
    if sector is None:
        raise ValueError(f"{business}: not a business of the sample network ({', '.join(dict(BUSINESSES))})")
    kb = KB_SECTORS[sector]
    fill = {"b": business, "hours": kb["hours"], "domain": business.lower()}
    have = {h for _, h, _ in kb["sections"]}
    sections = [*kb["sections"], *(s for s in KB_COMMON if s[1] not in have)]
    md = [f"{kb['about'].format(**fill)}", ""]
    for level, heading, text in sections:
        md += [f"{'#' * level} {heading}", ""]
        if text:
            md += [text.format(**fill), ""]
    faq = [
        json.dumps({"question": q.format(**fill), "answer": a.format(**fill)}, ensure_ascii=False)
        for q, a in [*kb["faq"], *KB_COMMON_FAQ][:8]
    ]
    return {f"{business}.md": "\n".join(md), f"{business}-faq.jsonl": "".join(line + "\n" for line in faq)}


def write_knowledge_bases(out: str | os.PathLike) -> list[Path]:
    """Write every business's knowledge base under `out` (the `kb/` folder of a sample)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for handle, _ in BUSINESSES:
        for name, text in knowledge_base(handle).items():
            write_text(out / name, text)
            paths.append(out / name)
    return paths


def write_network(out: str | os.PathLike, n_posts: int = 2000, seed: int = 0) -> Network:
    """Write posts.jsonl, users.jsonl, dms.jsonl, conversations.jsonl, exports/ and kb/ (each
    business's knowledge base: `knowledge_base`) under `out`."""
    net = build_network(n_posts, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "users.jsonl", [u.as_dict() for u in net.users])
    _write_jsonl(out / "posts.jsonl", net.posts)
    _write_jsonl(out / "dms.jsonl", net.dms)
    _write_jsonl(out / "conversations.jsonl", net.conversations)
    write_platform_exports(net, out / "exports")
    write_knowledge_bases(out / "kb")
    return net


# ---- the same network as each platform would export it (for the corpus readers) --------------


def _uid(handle: str) -> str:
    return str(zlib.crc32(handle.encode()) + 10_000)


def _v1_time(iso: str) -> str:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").strftime("%a %b %d %H:%M:%S +0000 %Y")


def _x_escape(text: str) -> str:
    # X's v1.1 and archive text escapes exactly these three characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mastodon_html(text: str) -> str:
    """Post text as Mastodon renders it: h-card mentions, links with invisible spans, <br>."""
    out = []
    for token in re.split(r"(\s+)", text):
        if token.startswith("@") and len(token) > 1:
            name = token[1:]
            out.append(
                f'<span class="h-card" translate="no"><a href="https://social.example/@{html.escape(name)}" '
                f'class="u-url mention">@<span>{html.escape(name)}</span></a></span>'
            )
        elif token.startswith("https://"):
            rest = html.escape(token[len("https://") :])
            out.append(
                f'<a href="{html.escape(token)}" rel="nofollow noopener" target="_blank"><span class="invisible">https://</span>'
                f'<span class="">{rest}</span><span class="invisible"></span></a>'
            )
        else:
            out.append(html.escape(token).replace("\n", "<br>"))
    return "<p>" + "".join(out) + "</p>"


def write_platform_exports(net: Network, out: str | os.PathLike) -> None:
    """Write the posts as X v2 / v1.1 / archive, Jetstream, Mastodon and CSV exports.

    The same posts in every format, so each corpus reader can be checked against the
    originals. Planted platform quirks: v2 truncates retweets (the reader rebuilds them from
    includes.tweets) and long posts (note_tweet), v1.1 escapes &<>, the archive stores
    numbers as strings, Jetstream carries later edits and deletes, Mastodon sends HTML.
    """
    out = Path(out)
    (out / "x_archive" / "data").mkdir(parents=True, exist_ok=True)
    by_id = {p["id"]: p for p in net.posts}
    users = {u.handle: u for u in net.users}
    original = lambda p: by_id.get(p.get("repost_of") or "")

    def v2_tweet(p):
        t = {
            "id": p["id"],
            "text": p["text"],
            "author_id": _uid(p["author"]),
            "created_at": p["created_at"].replace("Z", ".000Z"),
            "lang": p["lang"],
            "conversation_id": p["conversation_id"],
            "edit_history_tweet_ids": [p["id"]],
        }
        refs = []
        if p["reply_to"]:
            refs.append({"type": "replied_to", "id": p["reply_to"]})
        if original(p):
            refs.append({"type": "retweeted", "id": p["repost_of"]})
            if len(p["text"]) > 140:
                t["text"] = p["text"][:139] + "…"
        elif len(p["text"]) > 120:
            t["text"], t["note_tweet"] = p["text"][:100] + "…", {"text": p["text"]}
        if refs:
            t["referenced_tweets"] = refs
        return t

    lines = []
    for i in range(0, len(net.posts), 100):
        page = net.posts[i : i + 100]
        refs = [original(p) for p in page if original(p)]
        authors = sorted({p["author"] for p in page} | {o["author"] for o in refs})
        env = {
            "data": [v2_tweet(p) for p in page],
            "includes": {
                "users": [
                    {"id": _uid(a), "username": a, "name": users[a].name if a in users else a}
                    for a in authors
                ],
                "tweets": [v2_tweet(o) for o in refs],
            },
            "meta": {"result_count": len(page)},
        }
        lines.append(json.dumps(env, ensure_ascii=False))
    _write_lines(out / "x_v2.jsonl", lines)

    def v1_tweet(p):
        t = {
            "id_str": p["id"],
            "created_at": _v1_time(p["created_at"]),
            "full_text": _x_escape(p["text"]),
            "lang": p["lang"],
            "user": {"id_str": _uid(p["author"]), "screen_name": p["author"]},
            "in_reply_to_status_id_str": p["reply_to"],
        }
        if original(p):
            t["full_text"] = _x_escape(p["text"][:139] + "…" if len(p["text"]) > 140 else p["text"])
            t["retweeted_status"] = v1_tweet(original(p))
        return t

    _write_lines(out / "x_v1.jsonl", [json.dumps(v1_tweet(p), ensure_ascii=False) for p in net.posts])

    owner = Counter(p["author"] for p in net.posts[:2000]).most_common(1)[0][0]
    mine = [p for p in net.posts if p["author"] == owner and not original(p)]
    items = [
        {
            "tweet": {
                "id_str": p["id"],
                "id": p["id"],
                "created_at": _v1_time(p["created_at"]),
                "full_text": _x_escape(p["text"]),
                "lang": p["lang"],
                "favorite_count": "0",
                "retweet_count": "0",
                "in_reply_to_status_id_str": p["reply_to"],
            }
        }
        for p in mine
    ]
    write_text(
        out / "x_archive" / "data" / "tweets.js",
        "window.YTD.tweets.part0 = " + json.dumps(items, indent=2, ensure_ascii=False),
    )
    account = [
        {"account": {"username": owner, "accountId": _uid(owner), "accountDisplayName": users[owner].name}}
    ]
    write_text(
        out / "x_archive" / "data" / "account.js",
        "window.YTD.account.part0 = " + json.dumps(account, indent=2),
    )

    did = lambda h: f"did:plc:{_uid(h)}"
    uri = lambda p: f"at://{did(p['author'])}/app.bsky.feed.post/{p['id']}"
    events, later = [], []
    for n, p in enumerate(net.posts):
        rec = {
            "$type": "app.bsky.feed.post",
            "createdAt": p["created_at"],
            "langs": [p["lang"]],
            "text": p["text"],
        }
        if p["reply_to"] and p["reply_to"] in by_id:
            rec["reply"] = {
                "root": {
                    "uri": uri(by_id[p["conversation_id"]]) if p["conversation_id"] in by_id else uri(p)
                },
                "parent": {"uri": uri(by_id[p["reply_to"]])},
            }
        commit = {
            "rev": f"r{n}",
            "operation": "create",
            "collection": "app.bsky.feed.post",
            "rkey": p["id"],
            "record": rec,
        }
        events.append({"did": did(p["author"]), "time_us": n, "kind": "commit", "commit": commit})
        if n % 50 == 7:
            later.append(
                {
                    "did": did(p["author"]),
                    "kind": "commit",
                    "commit": {
                        **commit,
                        "operation": "update",
                        "record": {**rec, "text": p["text"] + " (edited)"},
                    },
                }
            )
        elif n % 70 == 9:
            later.append(
                {
                    "did": did(p["author"]),
                    "kind": "commit",
                    "commit": {"operation": "delete", "collection": "app.bsky.feed.post", "rkey": p["id"]},
                }
            )
    _write_lines(out / "jetstream.jsonl", [json.dumps(e, ensure_ascii=False) for e in events + later])

    def status(p):
        s = {
            "id": p["id"],
            "created_at": p["created_at"],
            "in_reply_to_id": p["reply_to"],
            "spoiler_text": "",
            "visibility": "public",
            "language": p["lang"],
            "content": _mastodon_html(p["text"]),
            "url": f"https://social.example/@{p['author']}/{p['id']}",
            "account": {
                "acct": p["author"],
                "username": p["author"],
                "bot": users[p["author"]].is_bot if p["author"] in users else False,
            },
            "reblog": None,
        }
        if original(p):
            s["content"], s["reblog"] = "", status(original(p))
        return s

    _write_lines(out / "mastodon.jsonl", [json.dumps(status(p), ensure_ascii=False) for p in net.posts])

    tmp = out / "posts.csv.tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "author", "created_at", "text"])
        w.writerows([p["id"], p["author"], p["created_at"], p["text"]] for p in net.posts)
    os.replace(tmp, out / "posts.csv")


def _write_lines(path: Path, lines: list[str]) -> None:
    write_text(path, "".join(line + "\n" for line in lines))
