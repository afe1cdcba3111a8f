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


def write_network(out: str | os.PathLike, n_posts: int = 2000, seed: int = 0) -> Network:
    """Write posts.jsonl, users.jsonl, dms.jsonl, conversations.jsonl and exports/ under `out`."""
    net = build_network(n_posts, seed)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out / "users.jsonl", [u.as_dict() for u in net.users])
    _write_jsonl(out / "posts.jsonl", net.posts)
    _write_jsonl(out / "dms.jsonl", net.dms)
    _write_jsonl(out / "conversations.jsonl", net.conversations)
    write_platform_exports(net, out / "exports")
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
