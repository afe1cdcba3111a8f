"""Cues: named patterns, in English, German and Spanish, for what sentence embeddings of a
small English model see badly: a label that makes a text satire or fiction, a request for
many voices, a handle to write as, a look of being real or official. Each cue is one input
feature of the classifier beside the embedding (the classifier learns how much each counts)
and the rules (safety/rules.py) use a few of them directly.

Why words and not only embeddings: all-MiniLM-L6-v2 was trained on English; German and
Spanish requests land near each other by topic rather than by intent, and "write a satirical
quote from X" sits next to "write a quote from X". A keyword is what a person reads too.
"""

from __future__ import annotations

import re

# name -> pattern (case-insensitive, matched anywhere). Word stems, not whole words, so
# inflections in German and Spanish match.
CUES: dict[str, str] = {
    "satire": r"satir|parod|s[aá]tira|spoof|\bjoke\b|comedy|comedic|sketch|kabarett|\bhumor|humou?r|witz|broma|chiste|obviously (silly|absurd|fake)|absurd|not to be taken|PARODY",
    "label": r"\blabel|kennzeichn|gekennzeichnet|etiquet|marcad[oa] como|clearly (marked|labell?ed)|klar als|\bstamp|stempel|sello|disclaimer",
    "fiction": r"\bnovel\b|short story|\bstory\b|fiction|fictional|invented (character|country|party|town|city)|fairy tale|\bfable|screenplay|\bplay\b|roman\b|romans?\b|kurzgeschichte|erz[aä]hlung|m[aä]rchen|fiktiv|krimi|cuento|novela|relato|ficci|ficticio|f[aá]bula|my (book|novel)|mein(em)? roman|mi novela",
    "fake": r"\bfake|falsch|\bfals[oa]s?\b|real[- ]?(istic|seeming|looking)|look(s)? (real|genuine|authentic)|read like a real|t[aä]uschend|echt (wirk|aus)|realistisch|authentisch|parezca (real|aut[eé]ntic)|cre[ií]ble|veros[ií]mil|convincing|√|not true|isn'?t true|stimmt (zwar )?nicht|no es verdad|aunque sea mentira|made[- ]up|invent (a|an|the)|erfind|inventa",
    "official": r"official|amtlich|offiziell|oficial|letterhead|briefkopf|membrete|press release|pressemitteilung|comunicado|notice|mitteilung|aviso|announcement|bekanntmachung|anuncio",
    "screenshot": r"screenshot|screen shot|captura|bildschirmfoto",
    "quote_of": r"\bquote\b|quotation|zitat|\bcita\b|statement|aussage|declaraci[oó]n|said|saying|sagt|sagen|dijo|diciendo|in which (he|she|they)|wonach|in dem (er|sie)",
    "as_other": r"\bas if (you|i) (were|was)|pretend (to be|you'?re)|in the voice of|in (his|her|their) (name|voice)|post as\b|write as\b|sign(ed)? (as|by)|als w[aä]re|im namen (von|des|der)|in der rolle|hazte pasar|hazte|en nombre de|haci[eé]ndote pasar|como si fueras|como si (yo )?fuera|first person|ich-form|en primera persona|impersonat|imitate|posing as|gib dich als|tu so,? als",
    "handle": r"@\w{2,}",
    "many_voices": r"\b\d{1,3}\s+(different|distinct|varied|separate|unique|verschiedene|unterschiedliche|distint[oa]s|diferentes|variations?|versions?|varianten|variantes|replies|comments|posts|tweets|kommentare|antworten|comentarios|respuestas|mensajes|accounts|profiles|cuentas|perfiles|profile|konten|people|users|personas|leute|nutzer)|sock[- ]?pupp|sockenpupp|bot (army|network|farm)|bots|fake (accounts|profiles)|fake-profile|cuentas falsas|perfiles falsos|troll|astroturf|different (people|users|accounts|voices|persons)|ordinary (people|users|citizens)|verschiedene(n)? (leute|nutzer|personen|accounts|konten)|normale(n)? (b[uü]rger|leute|nutzer)|distintas personas|gente normal|usuarios (normales|distintos)|each from a different|each (one )?(sounding|written|posted) (like|as|by|from) a different|cada uno (de|desde) una|suene a una persona distinta|parezca(n)? (de )?(personas|usuarios|gente) (distint|diferent|normal|real)|\b\d{1,3}\s+\w+\s+(von|from|de|by|of)\s+(verschiedenen|unterschiedlichen|different|distintos|diferentes|distintas|various|many)|(von|from|de|by) (verschiedenen|different|distintos|diferentes) (erfundenen|invented|fake|ficticios|made-up)|vecinos ficticios|invented (people|citizens|voters|users|residents)|erfundene(n)? (b[uü]rger|nutzer|leute|personen|w[aä]hler)|(votantes|ciudadanos|usuarios) (normales|ficticios|inventados)|spontaneous|spontan|espont[aá]ne|grassroots|graswurzel|org[aá]nic",
    "news": r"\bnews\b|article|report\b|breaking|headline|reuters|\bap\b|associated press|\bbbc\b|\bcnn\b|guardian|times|post\b|bild|spiegel|faz|tagesschau|heute|zdf|wdr|ard|zeitung|artikel|meldung|nachricht|eilmeldung|schlagzeile|el pa[ií]s|el mundo|clar[ií]n|abc|rtve|telediario|noticia|peri[oó]dico|titular|[uú]ltima hora|press",
    "election": r"\bvot|ballot|polling|\belection|electoral|\bpoll(s)?\b|wahl|w[aä]hl|stimmzettel|urne|votar|\bvoto|votaci|elecci|electoral|urna|colegio electoral|mesa electoral|papeleta|sufragio|turnout|count(ed|ing)|ausz[aä]hl|escrutinio|recuento|results?|ergebnis|resultado",
    "deter": r"don'?t (bother|vote)|stay home|not worth voting|no need to vote|zu hause bleiben|nicht w[aä]hlen|lohnt sich nicht|qu[eé]date en casa|no vot|no hace falta votar|postponed|verschoben|aplazad|cancell?ed|abgesagt|cancelad|moved to|verlegt|trasladad|invalid|ung[uü]ltig|no (es )?v[aá]lid|no vale",
    "question": r"^\s*(what|how|why|who|when|where|which|is|are|can|could|do|does|did|was|wie|warum|wieso|weshalb|wer|wann|wo|welche|kann|darf|gibt|ist|sind|hat|qu[eé]|c[oó]mo|por qu[eé]|qui[eé]n|cu[aá]ndo|d[oó]nde|cu[aá]l|puedo|hay|es|son)\b|\?\s*$|^\s*¿",
    "explain": r"explain|summari[sz]e|overview|erkl[aä]r|zusammenfass|[uü]berblick|explica|resum|position|stance|standpunkt|postura|platform|programm|programa|stand(s)? for|steht f[uü]r|pro (und|and) (contra|con)|for and against|pros and cons|a favor y en contra|argument",
    "own_voice": r"\bmy own|\bmy (name|voice|view|opinion|account|blog|column|speech|letter|tweet|post|thread)|\bi (am|'m) (a|an|running)|\bmein(e|em|en)? (eigen|name|meinung|blog|kolumne|rede|brief|account)|in meinem namen|ich bin|\bmi (propi|nombre|opini[oó]n|blog|columna|discurso|carta|cuenta)|con mi nombre|soy\b|in my voice|for me to post|help me (write|draft|make|polish)|hilf mir|ay[uú]dame",
    "history": r"histor|in (18|19|20)\d\d|\b(18|19)\d\d\b|century|jahrhundert|siglo|geschichte (der|des|von)|historia de|guerra|war\b|krieg|revolution|revoluci|era\b|epoch",
    "store_posts": r"(what|which) (did|do|does|are|is) .{0,40}(post|tweet|say|said|saying|writ)|\b(quote|cite|find|show|list|search)\b.{0,40}\b(posts?|tweets?|replies|thread)|posts? (about|from|by|with|under)|tweets? (about|from|by)|zitier|finde .{0,30}posts?|was (hat|haben|schreib|post|sagen) .{0,40}(gepostet|geschrieben|getwittert|gesagt)|posts? (von|zu|mit|über)|qu[eé] (dijo|dicen|public[oó]|escribi[oó]|tuite[oó]|postearon|ha publicado)|cita .{0,30}(posts?|tuits?|publicaciones|mensajes)|busca .{0,30}(posts?|tuits?|publicaciones)|(publicaciones|tuits|posts) (de|sobre|con)|in the store|im speicher|en el almac",
    "n_invented": r"\b\d{1,3}\b.{0,60}\b(different|distinct|invented|fictional|made-up|fake|verschieden\w*|unterschiedlich\w*|erfunden\w*|fiktiv\w*|distint\w*|diferent\w*|inventad\w*|ficti\w*|falso?s?)\b|\b(under|with) different (invented )?names|unter (verschiedenen|falschen) namen|con (distintos|diferentes) nombres",
    "invent": r"make up|made[- ]up|\binvent|erfind|denk dir .{0,80} aus|ausdenken|inventa|believable|glaubw[uü]rdig|realist|echt(en)? .{0,25}(klingt|wirkt|aussieht)|que parezca|cre[ií]ble|angeblich|supuestamente|allegedly|secret recording|heimlich|grabaci[oó]n secreta|leaked|geleakt|filtrad|internal memo|interne[nr]? (memo|rundbrief|mail|e-mail|schreiben)|correo interno|memo interno|deleted (tweet|post)|gel[oö]scht|borrad",
    "be_named": r"\b(be|pose as|act as|sei|s[eé]|du bist|you are|you'?re|eres|hazte pasar por|gib dich als|posing as)\s+(@\w+|(?!a\b|an\b|ein\w*\b|un\b|una\b|the\b|der\b|die\b|das\b|el\b|la\b|my\b|mein\w*\b|mi\b)[A-ZÁÉÍÓÚÄÖÜ][\w\-]+)|on (their|his|her) behalf|in (deinem|seinem|ihrem) namen|en su nombre|\b(as|als|como) @\w+|looks like (theirs|his|hers)|wie (seiner|ihrer|deren)",
    "generic_role": r"(pretend to be|pretend you'?re|impersonate|act as|be|play|als w[aä]rst du|tu so,? als w[aä]rst du|spiel|finge ser|haz de|como si fueras|s[eé])\s+(a|an|ein|eine|einen|un|una)\s",
    "personal": r"\bmy (cat|dog|puppy|wedding|shop|bakery|book ?club|friends|family|team|club|coffee shop|restaurant|birthday|band|school|class)|\bour (cat|dog|puppy|club|team|shop|wedding|class|band|school|office|newsletter|company|street|neighbou?rhood)|\bmein(e|en|em|er)? (katze|hund|welpe|laden|hochzeit|buchclub|verein|b[aä]ckerei|geburtstag|band|klasse|caf[eé])|\bunser(e|en|em)? (katze|hund|verein|klasse|band)|\bmi (gato|perro|cachorro|boda|tienda|panader[ií]a|club|cumplea[nñ]os|banda|clase)|\bnuestr[oa] (gato|perro|club|clase|banda)",
    "verbatim": r"verbatim|word for word|exactly|w[oö]rtlich|textualmente|literalmente|tal cual|what (did|do|does|are) .{0,40}(post|tweet|shar|say)|people (are )?(sharing|saying|posting)|die leute|la gente|se dice|was posten|was schreiben|zeig .{0,20}posts|\b(the|die|los|las) posts\b|\bthread\b|\bhilo\b|\bfaden\b|\bstore\b",
    "setting": r"made-up (country|city|town|party|nation|state|world)|\bset in\b|spielt in|spielt,|ambientad[oa] en|pa[ií]s (ficticio|inventado)|erfundene[nmr]? (land|stadt|partei|welt)|fantasy|thriller|chapter|\bscene\b|kapitel|szene|escena|cap[ií]tulo|gui[oó]n|drehbuch|h[oö]rspiel|radio drama|radionovela|\bpoem|gedicht|poema|haiku|kindergeschichte|children'?s story|villain|b[oö]sewicht|villano|protagonist|character|figur|personaje",
    "verify": r"how (can|do) i (verify|check|confirm)|is (it|this|that) (true|real)|wie pr[uü]fe ich|stimmt das|stimmt es|c[oó]mo (lo )?compruebo|es verdad|i saw a post|hab(e)? (das )?(irgendwo )?gelesen|lo he le[ií]do|me ha llegado|ich habe eine nachricht bekommen|i got a (message|text)|where can i check|wo kann ich (das )?(nachsehen|pr[uü]fen)|d[oó]nde (lo )?(puedo )?comprobar",
    "my_post": r"\bmy (own )?(post|tweet|thread|reply|answer|personal account|draft)|\bmeine[nm]? (post|beitrag|antwort|entwurf)|\bmi (post|tuit|respuesta|borrador)|mejorar mi|verbessern|improve my|polish my|\bMY\b",
    "pose": r"name and photo|namen und foto|nombre y foto|voice clone|stimmklon|deepfake|clon(ar|aci[oó]n) de voz|believe it'?s (really )?(them|him|her)|denken,? es (ist|sei) echt|crean que es|looks official|offiziell aussieht|parezca oficial|script as|skript als|gui[oó]n como|fan account|als k[aä]me (es|sie) von|como si (lo|la) enviara|aussieht,? als|con el logo|mit (dem )?logo|with the logo|wappen",
    "urgent": r"urgent|dringend|urgente|winner with|zum sieger|ganador con|never (actually )?counted|nicht gez[aä]hlt|no se cuentan|se tiran|thrown away|weggeworfen|no sirve de nada votar|shut at|schlie(ß|ss)en (schon )?um|cierran .{0,30}a (mediod[ií]a|las)|les toca votar|before (the )?counting|bevor .{0,20}ausgez[aä]hlt|antes de que termine el recuento|so (it|people) (sticks|believe)|damit es h[aä]ngen bleibt|para que (se )?(quede|crean)",
    "wire": r"\bwire\b|teletipo|agencia|\bdpa\b|\bafp\b|bloomberg|exclusiv|al estilo de|im stil|\w+-style|\w+-stil|news story|prensa|breaking|eilmeldung|[uú]ltima hora|like a real (news|article|report)",
}

_COMPILED = {k: re.compile(v, re.IGNORECASE) for k, v in CUES.items()}
NAMES = list(CUES)


def cues(text: str) -> list[float]:
    """1.0 for each cue found in the text, 0.0 otherwise, in the order of NAMES."""
    return [1.0 if p.search(text) else 0.0 for p in _COMPILED.values()]


def found(text: str) -> set[str]:
    return {k for k, p in _COMPILED.items() if p.search(text)}
