"""Image prompts (`POST /v1/images/generations`): the same policy layer as a text request,
plus rules for what a picture can fake that a text cannot. `Guard.check_image_prompt` runs,
in order: the operator's input rules, the image rules below, then the text check
(`Guard.check_request`, the classifier) for every prompt but a plain scene (below), so that
what is refused as text is refused as a picture too. A refusal has the same shape as a text one (a `Decision` with stage "input", a
hard-limit category and a rule id); its message says what is not drawn and what can be
drawn instead (refusals.image_refusal_text), in English, German or Spanish. There is no
new category: the shipped classifier's weights are tied to the five hard limits, so the
image rules map onto them with their own rule ids.

H1-image (election_process): pictures that fake how an election went or works:
  - ballots, ballot boxes or mail-in envelopes destroyed, burned, shredded, dumped, thrown
    away, stolen, stuffed or faked ("election workers throwing ballots in a dumpster");
  - voting machines or scanners tampered with, hacked or rigged;
  - election workers or officials committing fraud (filling out stacks of ballots, cheating);
  - notices, signs, flyers, letters or messages about voting that say a polling place is
    closed or moved, the election is postponed or cancelled, votes won't count, or voters
    will be arrested; any fake, forged or official-looking notice, ballot or voter card;
  - election results graphics, TV banners or maps that are fake, invented, or made to look
    like a real broadcaster's or an official one.
  A polling station, a queue of voters, ballots being counted, a poll worker helping a
  voter, a ballot box as a cartoon or an explainer on how to register are allowed: nothing
  in them happened that did not.

H4-image (synthetic_news): a real person, in a situation that did not happen, in a picture
that can pass for a photo. All three must hold, near each other in the prompt:
  - a real person: a name (two or more capitalised words that are not a place, a style or a
    known fictional character; or a well-known politician's surname; or an @handle), or an
    office: president, senator, governor, mayor, chancellor, prime minister, candidate,
    election official, poll worker and the like. An office is not a real person when the
    prompt says it is invented ("a fictional president", "the mayor of an invented town") or
    a club's ("our book club's president"); a name stays a name whatever the prompt calls it.
  - a damaging situation: in hospital, arrested, handcuffed, in prison, injured, dead, in a
    coffin, drunk, on drugs, crying, begging, naked, taking a bribe or a bag of cash, at a
    crime scene, pointing a gun, fleeing the police, doing a Nazi salute.
  - a look of a photo: photo, photorealistic, realistic, press photo, CCTV, selfie, 35mm,
    deepfake and the like, or no style at all (an image model's default is a photo). A
    picture in a style that cannot pass for a photo (cartoon, caricature, watercolour, oil
    painting, sketch, comic, anime) is a caricature, the oldest political satire: allowed.
  So "an oil painting of Abraham Lincoln reading a book", "a photo of a golden retriever in
  a hospital bed", "a portrait of a smiling nurse" and "a realistic photo of Joe Biden giving
  a speech" are allowed, and "a photo of Joe Biden in a hospital bed" is refused.

H2-image (fabricated_quote): a fake screenshot, tweet, post or quote card of a real, named
person or @handle that has them say something, unless the prompt asks for their actual
words. Signs, memes and speech bubbles are left to the text check.

The text check (the classifier) reads every prompt but a scene: a prompt phrased as a
picture (it names a medium or style, or starts with an article, as a description does) that
carries no words (no post, quote, notice, article, message, caption, "saying ...", quoted
text) and asks for no writing or posing as someone. The classifier was trained on requests
for text, where "realistic" means a fake meant to pass as real and a voting scene reads as a
request about voting: it refused 19 of the first 85 harmless prompts written for the labelled
set, most of them plain voting scenes ("a watercolor of a polling station", "a realistic photo
of ballots being counted"), so a scene is judged by the image rules alone. Every other
prompt gets the text check exactly as a text request does: all 370 held-out hard-limit
requests the text check refuses are refused as image prompts too (tests/test_safety_images.py). A known limit: a scene of fraud that none of the image rules'
words describe ("poll workers bringing in ballots at 4am") passes.

`evaluate_image_prompts(guard, rows)` measures the check both ways on a labelled set
(data/image_prompts.jsonl: refuse rows with their category, allow rows with hard negatives).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mynah.safety.refusals import image_refusal_text, language

if TYPE_CHECKING:
    import numpy as np

    from mynah.safety.guard import Decision, Guard

DATA = Path(__file__).parent / "data" / "image_prompts.jsonl"
WINDOW = 60  # characters between a person and what happens to them, or a ballot and its fate


def _rx(*parts: str) -> re.Pattern:
    return re.compile("|".join(parts), re.IGNORECASE)


def _near(a: re.Pattern, b: re.Pattern, text: str, window: int = WINDOW) -> bool:
    """Some match of `a` and some match of `b` within `window` characters of each other."""
    bs = [m.span() for m in b.finditer(text)]
    if not bs:
        return False
    for m in a.finditer(text):
        for s, e in bs:
            if s - m.end() <= window and m.start() - e <= window:
                return True
    return False


# -- H1-image: election scenes and notices -------------------------------------------------

_BALLOT = _rx(
    r"\bballot\w*|\bmail-?in (votes|envelopes)|\bvotes\b|\bvoting slips?",
    r"\bstimmzettel\w*|\bwahlzettel\w*|\bbriefwahl\w*|\bwahlunterlagen|\bwahlurne\w*|\bwahlbriefe?\b|\bstimmen\b",
    r"\bpapeletas?\b|\bboletas?\b|\bvotos\b|\bsobres? (de|con) (voto|votos|papeletas)|\burnas?\b|\bactas\b",
)
_BALLOT_HARM = _rx(
    r"\bdestroy\w*|\bburn\w*|\bon fire\b|\bset fire|\bshred\w*|\bdump\w*|\btrash\w*|\bgarbage|\bbin\b|"
    r"\brubbish|\blandfill|\bthr[eo]w\w* (them |it )?(away|out|into|in)\b|\bthrown\b|\btoss\w*|\bdiscard\w*|"
    r"\bstuff\w*|\btamper(ed|ing)?\b(?!-)|\brigg\w*|\bsteal\w*|\bstolen\b|\bstole\b|\bsmuggl\w*|\bforg\w*|\bfake\b|"
    r"\bpre-?(filled|marked)|\balready (filled|marked)|\bfraudulent|\bcounterfeit|\bhidden\b|\bhiding\b|\btear\w* up|\btorn up|\bripp\w* up|"
    r"\b(in|into) (a|the) (river|lake|sea|canal|ditch|fire|furnace)",
    r"\bverbr[ae]nn\w*|\bbrenn\w*|\bgebrannt|\bvernicht\w*|\bzerst[öo]r\w*|\bzerrei(ß|ss)\w*|\bzerrissen|\bgeschreddert|\bschredder\w*|"
    r"\bweggeworfen|\bwegwerf\w*|\bwirft\b|\bwerfen\b|\bm[üu]ll\w*|\bcontainer|\bmanipulier\w*|\bgef[äa]lscht\w*|"
    r"\bf[äa]lsch\w*|\bvorausgef[üu]llt\w*|\bbereits angekreuzt\w*|\bgestohlen|\bstehl\w*|\bklau\w*|\bversteck\w*|\bin den fluss",
    r"\bquem\w*|\bdestru\w*|\brompi\w*|\brot[oa]s\b|\btir\w* (a|en) la basura|\btirad[oa]s|\btiran\b|"
    r"\btirando|\bbasura|\bcontenedor|\bvertedero|\bmanipul\w*|\bfalsific\w*|\bfals[oa]s\b|\brobad[oa]s|"
    r"\brob(an|ando)\b|\bmeti(endo|eron|[óo]|do)\b|\bmeten\b|\bfajos?\b|\bescond\w*|\brellen\w*|\bal r[ií]o|\bembarazando urnas",
)
_MACHINE = _rx(
    r"\bvoting machines?|\be-?voting|\btabulators?|\bballot scanners?|\bvote[- ]counting machines?",
    r"\bwahlcomputer\w*|\bwahlger[äa]te?\w*|\bw[äa]hlmaschinen?|\bz[äa]hlmaschinen?",
    r"\bm[áa]quinas? de votaci[óo]n|\bm[áa]quinas? de votar|\burnas? electr[óo]nicas?",
)
_TAMPER = _rx(
    r"\btamper\w*|\bhack\w*|\brigg\w*|\bmanipulat\w*|\baltered|\bflipp\w* votes|\bswitch\w* votes|"
    r"\busb stick|\bcompromised|\bswap\w*|\bmemory cards?|\bsecretly|\balter\w*",
    r"\bmanipulier\w*|\bgehackt|\bhack\w*|\bverf[äa]lscht",
    r"\bmanipul\w*|\bhacke\w*|\balterad\w*|\btrucad\w*",
)
_WORKER = _rx(
    r"\b(election|poll|polling|county|ballot) (workers?|officials?|clerks?|staff|volunteers?|judges?)|"
    r"\bscrutineers?|\bcanvass?ers?",
    r"\bwahlhelfer\w*|\bwahlvorst[äa]nd\w*|\bwahlleiter\w*|\bwahlamt|\bwahlbeh[öo]rde",
    r"\bfuncionari[oa]s? (electorales?|de (la )?casilla|de mesa)|\bmiembros? de (la )?mesa|"
    r"\bpresident[ea]s? de mesa|\bvocales de mesa|\bapoderad[oa]s",
)
_FRAUD = _rx(
    r"\bfraud\w*|\bcheat\w*|\bfill\w* (in|out) (stacks|piles|hundreds|dozens|boxes|extra|blank)|"
    r"\bmark\w* (stacks|piles|hundreds|dozens|blank) |\bchang\w* (the )?(votes|tall(y|ies)|results)|\bbribe\w*",
    r"\bbetr[üu]g\w*|\bschummel\w*|\bkreuz\w* .{0,50}\ban\b|\bf[äa]lsch\w*",
    r"\bfraude|\bhac\w* trampa|\btrampas|\bcambi\w* (los )?(votos|resultados|actas)|\bsoborn\w*",
)
_NOTICE = _rx(
    r"\bnotices?\b|\bsigns?\b|\bsignage|\bflyers?|\bfliers?|\bleaflets?|\bposters?|\bplacards?|\bbanners?|"
    r"\bannouncements?|\bletters?\b|\bmailers?|\bpostcards?|\btext messages?|\bsms\b|\bdoor ?hangers?|"
    r"\bbillboards?|\bbulletins?|\balerts?\b|\bemails?\b|\bpamphlets?|\bhandouts?|\bwhatsapp|\blower[- ]thirds?|"
    r"\bchyrons?|\btickers?|\bbreaking news (banner|graphic)",
    r"\baush[äa]nge?\b|\bschild\w*|\bhinweis\w*|\bflugbl[äa]tt\w*|\bflyer|\bplakat\w*|\bzettel\b|"
    r"\bbekanntmachung\w*|\bmitteilung\w*|\bbrief\b|\bschreiben\b|\bwahlbenachrichtigung\w*|\bnachricht\b",
    r"\bcartel(es)?\b|\bavisos?\b|\bletreros?|\bfolletos?|\bvolantes?|\banuncios?|\bcomunicados?|\bcartas?\b|"
    r"\bpanfletos?|\boctavillas?|\bnotificaci[óo]n\w*|\bmensajes?\b|\bpancartas?",
)
_VOTE_PLACE = _rx(
    r"\bpolling|\bpolls?\b|\bprecinct|\bvot\w*|\belection\w*|\bballot\w*",
    r"\w*wahl\w*|\bw[äa]hl\w*|\babstimmung\w*|\bstimmabgabe",
    r"\bcolegios? electoral\w*|\bcasillas?\b|\bcentros? de votaci[óo]n|\bmesas? electoral\w*|\blocal de votaci[óo]n|"
    r"\bvotaci[óo]n\w*|\belecci[óo]n\w*|\bjornada electoral|\bcomicios|\bvotar\b|\burnas?\b",
)
_CHANGE = _rx(
    r"\bclosed\b|\bclosing (early|today)|\bshut (down)?\b|\bmoved\b|\brelocated|\bchanged to\b|\bpostponed|"
    r"\bcancel+ed|\bcalled off|\bdelayed|\brescheduled|\bsuspended|\bno longer\b|\bwon'?t count|"
    r"\bwill not (be )?count|\bdo(es)?n'?t count|\binvalid|\barrest\w*|\bdeport\w*|\bimmigration agents|"
    r"\bre-?register|\bpurged|\bremoved from the (voter )?rolls?|\bvote (by|via) (text|sms|phone|app)",
    r"\bgeschlossen|\bverlegt|\bverschoben|\babgesagt|\bausgesetzt|\bumgezogen|\bnicht mehr\b|"
    r"\bung[üu]ltig|\bz[äa]hl\w* nicht|\bfestgenommen|\bverhaftet|\bper sms",
    r"\bcerrad[oa]s?|\btrasladad[oa]s?|\bcambiad[oa]s? (a|al)\b|\baplazad[oa]s?|\bpospuest[oa]s?|"
    r"\bsuspendid[oa]s?|\bcancelad[oa]s?|\bpospus\w*|\bse (suspende|cancela|traslada)\w*|\bya no\b|\bno cuenta|\bno (ser[áa]n? )?v[áa]lid|\banulad[oa]s?|"
    r"\binv[áa]lid[oa]s?|\bdetenid[oa]s?|\barrestad[oa]s?|\bpor sms",
)
_FAKE_OFFICIAL = _rx(
    r"\bfake\b|\bforged|\bcounterfeit|\bofficial[- ]looking|\blooks? official|\blook like (it'?s |it is )?"
    r"(from|official)|\bwith the (official )?(seal|logo|letterhead)",
    r"\bgef[äa]lscht\w*|\bfalsch\w*|\boffiziell (aussehend|wirkend)\w*|\bamtlich (aussehend|wirkend)\w*|"
    r"\b(offiziell|amtlich|echt) aussieht|\bmit (dem )?(logo|wappen|siegel|briefkopf)",
    r"\bfals[oa]s?\b|\bfalsificad\w*|\bque parezca oficial|\baspecto oficial|\bcon el (logo|sello|membrete)",
)
_OFFICIAL_ITEM = _rx(
    r"\bnotices?\b|\bletters?\b|\bflyers?|\bballots?\b|\bvoter (id|card|registration card)s?|\bpoll cards?|"
    r"\bannouncements?|\bsigns?\b|\bsample ballots?",
    r"\bbekanntmachung\w*|\bbrief\b|\bschreiben\b|\bstimmzettel\w*|\bwahlzettel\w*|\bwahlbenachrichtigung\w*|"
    r"\bwahlschein\w*|\bmitteilung\w*|\baushang",
    r"\bavisos?\b|\bcartas?\b|\bpapeletas?\b|\bboletas?\b|\bcredencial(es)? (de elector|para votar)|"
    r"\bcomunicados?|\bnotificaci[óo]n\w*|\bcartel(es)?\b",
)
_RESULTS = _rx(
    r"\b(election |vote |voting )?results\b|\bvote (count|tally|totals?)|\btally\b|\bexit polls?|"
    r"\bprojections?\b|\bprojected winner|\bdecision desk|\bcall(s|ing)? \w+ for\b|\b\d+ ?% reporting",
    r"\bhochrechnung\w*|\bprognose\w*|\bergebnis\w*|\bwahlergebnis\w*|\bausz[äa]hlung",
    r"\bresultados?\b|\bescrutinio|\bconteo\b|\brecuento|\bsondeo a pie de urna|\bboca de urna",
)
_GRAPHIC = _rx(
    r"\bgraphics?\b|\bcharts?\b|\bscreens?\b|\bscreenshots?|\bbroadcast|\btv\b|\btelevision|\blower[- ]third|"
    r"\bbanners?|\bmaps?\b|\bgraphs?\b|\bticker|\bchyron|\bwebsite|\bweb page|\bdisplay",
    r"\w*grafik\w*|\bschaubild\w*|\bbalken\w*|\beinblendung\w*|\bbildschirm\w*|\bfernseh\w*|\bkarte\b",
    r"\bgr[áa]fic[oa]s?|\binfograf\w*|\bpantallas?|\bmapas?\b|\btelevisi[óo]n|\bcintillo|\bzócalo",
)
_RESULT_FAKE = _rx(
    r"\bfake\b|\bmade[- ]up|\binvented|\bfabricated|\bofficial[- ]looking|\blooks? official|\blook(s)? real|"
    r"\brealistic|\breal-looking|\bwith the (logo|branding)|\bcnn\b|\bbbc\b|\bfox news|\bnbc\b|\bcbs\b|"
    r"\bmsnbc\b|\bap\b|\breuters|\bsky news",
    r"\bgef[äa]lscht\w*|\berfunden\w*|\brealistisch\w*|\becht aussieht|\bmit (dem )?logo|\bard\b|\bzdf\b|"
    r"\btagesschau|\bheute[- ]journal|\bn-?tv\b|\brtl\b|\borf\b",
    r"\bfals[oa]s?\b|\binventad[oa]s?|\brealistas?\b|\bque parezca (real|oficial)|\bcon el logo|\brtve\b|"
    r"\btelevisa|\btn\b|\bantena ?3|\bla sexta|\bine\b|\bjunta electoral",
)


def _h1(text: str) -> bool:
    if _near(_BALLOT, _BALLOT_HARM, text):
        return True
    if _near(_MACHINE, _TAMPER, text, 100):
        return True
    if _near(_WORKER, _FRAUD, text):
        return True
    if _VOTE_PLACE.search(text):
        if _near(_NOTICE, _CHANGE, text, 100):
            return True
        if _near(_FAKE_OFFICIAL, _OFFICIAL_ITEM, text, 40):
            return True
    return bool(_RESULTS.search(text) and _GRAPHIC.search(text) and _RESULT_FAKE.search(text))


# -- H4-image: real people in situations that did not happen -------------------------------

_OFFICE = _rx(
    r"\b(vice[- ])?presidents?\b|\bsenators?\b|\bcongress(wo)?m[ae]n\b|\bcongressperson|\bgovernors?\b|\bmayors?\b|"
    r"\bchancellors?\b|\bprime ministers?\b|\bpremiers?\b|\b(foreign|finance|interior|health|cabinet|government|"
    r"defen[cs]e|justice|economy) ministers?\b|\bsecretary of state|\bmps?\b|\bmembers? of (parliament|congress)|"
    r"\b(presidential |mayoral |gubernatorial )?candidates?\b|\bnominee\b|\belection officials?|"
    r"\bpoll workers?|\belection workers?|\bparty leaders?|\bopposition leaders?|\bspeaker of the house|"
    r"\battorney general|\bfirst lady|\bthe pope\b",
    r"\b(bundes)?pr[äa]sident(in)?\b|\b(bundes)?kanzler(in)?\b|\bministerpr[äa]sident(in)?\b|\bminister(in)?\b|"
    r"\bb[üu]rgermeister(in)?\b|\babgeordnete[nr]?\b|\b(spitzen|kanzler)?kandidat(in|en)?\b|\bsenator(in)?\b|"
    r"\blandrat\b|\bwahlhelfer(in)?\b|\bwahlleiter(in)?\b|\bparteichef(in)?\b|\bparteivorsitzende[nr]?\b",
    r"\bpresident[ae]s?\b|\bcandidat[oa]s?\b|\bsenador(a|es)?\b|\bgobernador(a|es)?\b|\balcaldes?\b|\balcaldesa\b|"
    r"\bministr[oa]s?\b|\bdiputad[oa]s?\b|\bprimer ministro|\bjefe de gobierno|\bfuncionari[oa]s? electoral\w*|"
    r"\bl[íi]der (del|de la) (partido|oposici[óo]n)",
)
# an office that is not a real person's: invented, or a club's
_NOT_REAL_OFFICE = _rx(
    r"\bfictional|\bfictitious|\binvented|\bmade[- ]up|\bimaginary|\bfantasy|\bgeneric|\bunnamed|\bnon-?existent|"
    r"\b(class|student|club|company|school|team|union|hoa|fraternity|sorority|book club|chess club)('s)? "
    r"(president|chair)|\bpresident of (a|my|our|the) (\w+ )?(club|company|society|association|class|team)|"
    r"\b(my|our) (\w+ )?(club|company|class|team)'s president",
    r"\bfiktiv\w*|\berfunden\w*|\bausgedacht\w*|\bfantasie\w*|\bvereinspr[äa]sident|\bklassensprecher",
    r"\bficticio\w*|\bficticia\w*|\binventad[oa]s?|\bimaginari[oa]s?|\bde fantas[íi]a|\bdel club\b",
)
# well-known politicians and public figures who are often named by surname alone (case-sensitive)
_SURNAME_LIST = (
    "Biden Trump Obama Harris Vance DeSantis Newsom Pelosi McConnell Ocasio-Cortez AOC Sanders Clinton Bush "
    "Starmer Sunak Farage Badenoch Corbyn Rayner Scholz Merz Weidel Söder Soeder Habeck Baerbock Lindner Esken "
    "Klingbeil Chrupalla Steinmeier Merkel Wagenknecht Kickl Nehammer Babler Sánchez Feijóo Abascal Ayuso Rajoy "
    "Belarra Sheinbaum AMLO Obrador Gálvez Milei Kirchner Macri Bullrich Kicillof Macron Mélenchon Bardella "
    "Zemmour Meloni Orbán Putin Zelensky Zelenskyy Netanyahu Modi Lula Bolsonaro Erdoğan Erdogan Musk"
)
_SURNAMES = _SURNAME_LIST.split()
_KNOWN = re.compile(r"(?<![\w@])(" + "|".join(map(re.escape, _SURNAMES)) + r"|Le Pen|von der Leyen)(?!\w)")
_HANDLE = re.compile(r"(?<![\w@])@\w{2,}")
_CAP = r"[A-ZÁÉÍÓÚÑÄÖÜÀÈÌÒÙÂÊÎÔÛÇ][\w'’\-]*\w|[A-Z]\.?"
_PARTICLE = r"(?:de|del|de la|la|van|von|der|da|di|dos|das|le|bin|al|y)"
_NAME = re.compile(rf"(?<![\w@])(?:{_CAP})(?:\s+(?:{_PARTICLE}\s+)?(?:{_CAP}))+")
# capitalised words that do not make a name: styles, sentence openers, places, characters
_NOT_NAME_LIST = (
    "a an the this that these my our your his her their one two photo photograph picture image pic render "
    "portrait painting drawing sketch cartoon illustration realistic photorealistic hyperrealistic cinematic "
    "generate create make draw show give paint design render please i we you he she they it in on at of with "
    "and or for by from to new old north south east west great united saint san santa los las el la de del "
    "mount lake river city county state republic kingdom street avenue park square house hall tower bridge "
    "hospital church university college school museum station airport beach island valley forest desert "
    "foto bild fotografie zeichnung gemälde ein eine einen einem einer der die das mein meine unser unsere "
    "erstelle zeichne male mach generiere zeig bitte realistisches realistische realistischer fotorealistisches "
    "imagen fotografía dibujo pintura retrato un una unos unas mi mis nuestro nuestra genera crea haz dibuja "
    "pinta muestra dame realista fotorrealista hiperrealista "
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december christmas easter halloween "
    "claus harry potter darth vader mickey mouse sherlock holmes spider-man spiderman batman superman "
    "shrek homer simpson mario luigi gandalf frodo yoda pikachu winnie pooh sponge bob spongebob "
    "golden retriever labrador german shepherd york times square white house wall street central "
    "times guardian post news cnn bbc fox reuters ap instagram twitter facebook tiktok x youtube ai "
    "ok usa uk eu un nato dslr hd uhd 4k 8k 35mm"
)
_NOT_NAME = {w.lower() for w in _NOT_NAME_LIST.split()}
_PLACE_BEFORE = re.compile(
    r"\b(in|at|near|outside|inside|from|to|into|across|over|through|around|im|am|in der|bei|nach|aus|vor|"
    r"en|cerca de|desde|hacia|frente a)\s*$",
    re.IGNORECASE,
)
_HARM = _rx(
    # hospital, injury, death
    r"\bin (a |the )?hospital\b|\bhospital (bed|gown|room|ward)|\bhospitali[sz]ed|\bin (the )?icu\b|"
    r"\bintensive care|\bon life support|\bon a (stretcher|gurney)|\bin an ambulance|\bbeing wheeled|"
    r"\bhooked up to (machines|an iv|a ventilator)|\bon a ventilator|\binjur\w*|\bwounded|\bbleeding|\bbloodied|"
    r"\bbloody\b|\bblood-?soaked|\bbeaten( up)?\b|\bblack eye|\bbruised|\bcollaps\w*|\bfaint\w*|\bunconscious|"
    r"\bpassed out|\bdead\b|\bdying\b|\bcorpse|\bdead body|\bin a coffin|\bin an open casket|\bcoffin\b|"
    r"\bfuneral of|\b(being )?shot\b(?! on)|\bassassinat\w*|\bmurder\w*|\bkidnapp\w*|\bhostage",
    # arrest, prison, crime
    r"\barrest\w*|\bin (hand)?cuffs|\bhandcuff\w*|\bcuffed\b|\bmug ?shot|\bbehind bars|\bin (a )?(jail|prison)\b|"
    r"\bprison (jumpsuit|uniform|cell|yard)|\borange jumpsuit|\bperp walk|\bled away by (the )?police|"
    r"\b(in|into) (police )?custody|\bin the (er|emergency room)\b|\bdetained|\bin the back of a police (car|van)|\bcrime scene|\brobbing|"
    r"\bshoplifting|\bpointing a gun|\bshooting at|\bfiring (a gun )?at|\bfleeing|\brunning from (the )?police|"
    r"\bhiding from (the )?police|\bnazi salute|\bhitler salute|\bin a (nazi|kkk) uniform|"
    r"\bwith (a )?(terrorists?|drug lords?|cartel bosses|mafia bosses|the mafia)\b|\bcartel boss",
    # drink, drugs, humiliation
    r"\bdrunk|\bwasted\b|\bintoxicated|\bhammered\b|\bvomiting|\bthrowing up|\bsnorting|\bcocaine|"
    r"\bdoing drugs|\bsmoking (crack|meth|weed|a joint)|\bheroin|\bhigh on\b|\bcrying|\bsobbing|\bweeping|"
    r"\bin tears|\btearful|\bbreaking down|\bbegging|\bon (his|her|their) knees|\bhumiliated|\bnaked|\bnude\b|"
    r"\bin (his|her|their) underwear|\btopless|\bin bed with|\bmaking out with|\bwith a prostitute",
    # corruption
    r"\bbrib\w*|\baccepting (a |an )?(envelope|suitcase|briefcase|bag|stack|wad|pile|bundle)|"
    r"\btaking (a |an )?(envelope|suitcase|briefcase|bag|stack|wad|pile|bundle) (of|full of|stuffed with)|"
    r"\b(bag|suitcase|briefcase|envelope|stack|pile|wad|bundle)s? (of|full of|stuffed with) "
    r"(cash|money|dollars|euros|banknotes|bills)|\bhanding (over )?(cash|money)|\bkickbacks?",
    # German
    r"\bim krankenhaus|\bnotaufnahme|\bins krankenhaus|\bkrankenhausbett|\bklinikbett|\bauf der intensivstation|"
    r"\bim krankenwagen|\bauf einer trage|\bverletzt\w*|\bblutend\w*|\bblutig\w*|\bblut[üu]berstr[öo]mt\w*|"
    r"\bverpr[üu]gelt|\bzusammengebrochen|\bbricht zusammen|\bbewusstlos|\bohnm[äa]chtig|\btot\b|\btote[nr]?\b|"
    r"\bleiche|\bim sarg|\bsarg\b|\bbeerdigung|\berschossen|\bermordet|\bentf[üu]hrt|\bsterbend|"
    r"\bverhaft\w*|\bfestgenommen|\bfestnahme|\bhandschellen|\bhinter gittern|\bim gef[äa]ngnis|"
    r"\bgef[äa]ngniszelle|\bh[äa]ftlingskleidung|\bpolizeigewahrsam|\babgef[üu]hrt|\bam tatort|"
    r"\bmit (einer )?(waffe|pistole) auf|\bstiehlt|\bauf der flucht|\bflieht|\bhitlergru(ß|ss)|"
    r"\bbetrunken|\bbesoffen|\bvolltrunken|\bkotzt|\berbricht|\bkokain|\bkoks\b|\bdrogen|\bkifft|"
    r"\bweint|\bweinend\w*|\bin tr[äa]nen|\bschluchz\w*|\bbettelt|\bauf (den )?knien|\bnackt|"
    r"\bin unterhose|\bunterw[äa]sche|\bim bett mit|\bprostituierte|\bbestech\w*|\bbestoch\w*|"
    r"\bschmiergeld|\bgeldkoffer|\bumschlag (mit|voller) (geld|bargeld|scheinen)|\bb[üu]ndel (geld|scheine|banknoten)|"
    r"\bnimmt .{0,30}(bargeld|geldb[üu]ndel|umschlag|koffer)",
    # Spanish
    r"\ben (el|un) hospital|\ben urgencias|\bhospitalizad[oa]|\bcama de hospital|\ben (la )?uci\b|\bcuidados intensivos|"
    r"\ben (una )?ambulancia|\ben una camilla|\bherid[oa]s?\b|\bsangr\w*|\bensangrentad\w*|\bgolpead[oa]|"
    r"\bdesmayad[oa]|\bdesplomad[oa]|\binconsciente|\bmuert[oa]s?\b|\bmuriendo|\bcad[áa]ver|\bata[úu]d|"
    r"\bfuneral de|\basesinad[oa]|\bsecuestrad[oa]|\bbalead[oa]|\barrestad[oa]s?|\bdetenid[oa]s?|"
    r"\besposad[oa]s?|\bcon esposas|\btras las rejas|\ben (la )?c[áa]rcel|\ben prisi[óo]n|\bficha policial|"
    r"\bcustodia policial|\bllevad[oa] por la polic[íi]a|\bescena del crimen|\bapuntando con (un|una) (arma|pistola)|"
    r"\brobando|\bhuyendo|\bsaludo nazi|\bborrach[oa]s?|\bebri[oa]s?\b|\bvomitando|\bcoca[íi]na|"
    r"\bdrogad[oa]|\bdrogas\b|\besnifando|\bfumando (marihuana|porros|crack)|\bllorando|\bllora\b|"
    r"\ben l[áa]grimas|\bsollozando|\bsuplicando|\bde rodillas|\bdesnud[oa]s?|\ben ropa interior|"
    r"\ben la cama con|\bprostituta|\bsoborn\w*|\bcoima|\bmordida\b|\bmalet[íi]n (con|lleno de) (dinero|billetes)|"
    r"\bfajos? de (billetes|dinero)|\bsobre (con|lleno de) (dinero|billetes)|\brecibiendo (un )?(sobre|dinero|malet[íi]n|fajo)",
)
_PHOTO = _rx(
    r"\bphoto\w*|\brealistic|\brealism|\bhyper-?real\w*|\blifelike|\blife-like|\btrue to life|\breal-looking|"
    r"\blooks? real|\blooking real|\bauthentic|\bcandid\b|\bsnapshot|\bpaparazzi|\bcctv|\bsecurity (camera|cam)|"
    r"\bbody ?cam|\bdash ?cam|\bfootage|\bstill from|\bscreenshot|\bselfie|\bpolaroid|\bdslr|\b\d+ ?mm\b|"
    r"\bcanon\b|\bnikon|\bshot on|\b[48]k\b|\braw photo|\bdeep ?fake|\bnews (image|picture|pic)|\bpress (image|pic)",
    r"\bfoto\w*|\brealistisch\w*|\becht (aussehend|wirkend)\w*|\becht aussieht|\bwie echt|\bschnappschuss|"
    r"\baufnahme|\b[üu]berwachungskamera|\bhandyvideo",
    r"\bfotorrealista|\brealistas?\b|\bhiperrealista|\bque parezca real|\bque se vea real|\bc[áa]mara de seguridad|"
    r"\bcaptura|\bimagen real",
)
_DRAWN = _rx(
    r"\bcartoon\w*|\bcaricatur\w*|\bcomic\w*|\billustrat\w*|\bdrawing|\bdrawn\b|\bsketch\w*|\bpainting|\bpainted|"
    r"\bwatercolou?r|\boil on canvas|\bpastel\b|\bcrayon|\bpencil|\bcharcoal|\bink\b|\banime\b|\bmanga\b|"
    r"\bpixel art|\bvector\b|\bline art|\bclip ?art|\bemoji|\bclaymation|\bclay\b|\blego\b|\bplush|\bmuppet|"
    r"\bpuppet|\bstorybook|\bchildren'?s book|\blow[- ]poly|\bstyli[sz]ed|\bwoodcut|\blinocut|\bengraving|"
    r"\bpop art|\bcubis\w*|\bimpressionis\w*|\bstained glass|\bmosaic",
    r"\bkarikatur\w*|\bzeichnung|\bgezeichnet\w*|\bskizze|\bgem[äa]lde|\b[öo]lgem[äa]lde|\baquarell\w*|"
    r"\bmalerei|\bgemalt\w*|\bbuntstift|\bbleistift",
    r"\bdibujo|\bdibujad[oa]|\bhistorieta|\bc[óo]mic|\bvi[ñn]eta|\bilustraci[óo]n|\bacuarela|\b[óo]leo\b|"
    r"\bpintura|\bpintad[oa]|\bboceto|\bl[áa]piz",
)
_DEEPFAKE = _rx(r"\bdeep ?fakes?\b")


def _people(text: str) -> list[tuple[int, int]]:
    """Where the prompt names a real person or a real office."""
    spans = [m.span() for m in _KNOWN.finditer(text)] + [m.span() for m in _HANDLE.finditer(text)]
    words = re.findall(r"[^\W\d_]+", text)
    title_case = len(words) >= 4 and sum(w[0].isupper() for w in words) > 0.7 * len(words)
    if not title_case:  # in a Title Case Prompt every word looks like a name
        for m in _NAME.finditer(text):
            parts = [w for w in re.split(r"\s+", m.group(0)) if w[0].isupper()]
            real = [w for w in parts if w.lower().strip(".'’") not in _NOT_NAME]
            if len(real) < 2 or _PLACE_BEFORE.search(text[: m.start()]):
                continue
            spans.append(m.span())
    if not _NOT_REAL_OFFICE.search(text):
        spans += [m.span() for m in _OFFICE.finditer(text)]
    return spans


def _h4(text: str) -> bool:
    spans = _people(text)
    if not spans:
        return False
    if not _DEEPFAKE.search(text) and not _PHOTO.search(text) and _DRAWN.search(text):
        return False  # a cartoon or a painting cannot pass for a photo
    harms = [m.span() for m in _HARM.finditer(text)]
    return any(s - pe <= WINDOW and ps - e <= WINDOW for ps, pe in spans for s, e in harms)


# -- H2-image: invented words of a real person ---------------------------------------------

_POST = _rx(
    r"\bscreenshots?|\btweets?\b|\bposts?\b|\binstagram|\bfacebook|\btiktok|\btruth social|\bquote (card|graphic|image)s?|"
    r"\bstatement (graphic|card)",
    r"\bbildschirmfoto|\bbeitrag\w*|\bzitatkachel|\bzitat(bild|grafik)|\bsharepic",
    r"\bcapturas?\b|\btuits?\b|\btweets?\b|\bpublicaci[óo]n\w*|\bcita (gr[áa]fica|en imagen)|\bplacas? con (la )?frase",
)
_SAYS = _rx(
    r"\bsaying\b|\bsays\b|\bthat says|\bwhere (he|she|they) (says?|admits?|announces?|writes?)|\bin which|"
    r"\bannouncing|\badmitting|\bwith the (words|text|caption|quote)|\bcaptioned|\bquoting|[\"“”«»]",
    r"\bder sagt|\bdie sagt|\bin dem (er|sie)|\bsagt\b|\bmit dem (text|satz|zitat|spruch)|\bauf dem steht|"
    r"\bschreibt|\bank[üu]ndigt|\bzugibt|[„“]",
    r"\bque dice|\bdiciendo|\bdonde (dice|admite|anuncia)|\bcon la frase|\bcon el texto|\banunciando|\badmitiendo",
)
_GENUINE = _rx(
    r"\bactual(ly)?\b|\breal (quote|words|tweet|post)|\bfamous (quote|line|words|speech)|\bverbatim|"
    r"\bwhat (he|she|they) (really |actually )?(said|wrote|posted)",
    r"\btats[äa]chlich|\bechte[ns]? (zitat|worte|tweet|beitrag)|\bber[üu]hmte[ns]? (zitat|satz|worte)|\bw[öo]rtlich",
    r"\brealmente|\bcita real|\bfamosa (frase|cita)|\bpalabras reales|\btextualmente|\blo que (de verdad|realmente) dijo",
)


def _h2(text: str) -> bool:
    named = [m.span() for m in _KNOWN.finditer(text)] + [m.span() for m in _HANDLE.finditer(text)]
    named += [s for s in _people(text) if not _OFFICE.fullmatch(text[s[0] : s[1]])]
    return bool(named and _POST.search(text) and _SAYS.search(text) and not _GENUINE.search(text))


# (rule id, category, test): checked in order, the first that applies refuses
RULES = (
    ("H1-image", "election_process", _h1),
    ("H4-image", "synthetic_news", _h4),
    ("H2-image", "fabricated_quote", _h2),
)


def image_rule(text: str, enabled=lambda category: True) -> tuple[str, str] | None:
    """(category, rule id) of the first image rule that refuses the prompt, or None."""
    for rule_id, category, test in RULES:
        if enabled(category) and test(text):
            return category, rule_id
    return None


# -- what the text check reads -----------------------------------------------------------------

# A prompt asks for words when the picture is to carry a text (a post, a quote, a notice, an
# article, a message, a caption, a headline, words in quotation marks) or the prompt asks for
# writing or for posing as someone. Those words are what the text check judges.
_WORDS = _rx(
    r"\bwrit\w*|\bdraft\w*|\bcompos\w*|\bspell\w*|\bcaption\w*|\bheadlines?|\barticles?|\breport\w*|"
    r"\bchyrons?|\btickers?|\banchor|\bpiece\b|\bdms?\b|\bdirect messages?|"
    r"\bnews ?(story|piece|item|flash)|\bbreaking news|\bnewspapers?|\bfront pages?|\bmagazine covers?|"
    r"\bposts?\b|\bposted|\btweets?\b|\bthreads?\b|\bmessages?\b|\btexts?\b|\bsms\b|\be-?mails?\b|"
    r"\bletters?\b|\bnotices?\b|\bannouncements?|\bannounc\w*|\bstatements?|\bpress releases?|\bquot\w*|"
    r"\bwords\b|\bspeech bubbles?|\bsays?\b|\bsaying\b|\bsaid\b|\bclaim\w*|\btelling\b|\bscreenshots?|"
    r"\btranscripts?|\bscripts?\b|\bcomments?\b|\breplies\b|\breviews?\b|\bbios?\b|\bprofiles?\b|"
    r"\baccounts?\b|\bhandles?\b|\bpretend\w*|\bpose as|\bposing as|\bimpersonat\w*|\bin the voice of|"
    r"\bas if (it|you|i)\b|\bon behalf of|\bslogans?|\bmemes?\b|\bwhatsapp|\btelegram|\binstagram|"
    r"\bfacebook|\btiktok|\bchain (letter|message)s?|@\w{2,}|\"[^\"]{3,}\"|“[^”]{3,}”|«[^»]{3,}»|„[^“”]{3,}[“”]",
    r"\bschreib\w*|\bverfass\w*|\bformulier\w*|\btext\w*|\bartikel|\bmeldung\w*|\bnachricht\w*|\bbeitr[äa]g\w*|"
    r"\bzitat\w*|\baussage\w*|\bstellungnahme\w*|\bbrief\w*|\bschreiben\b|\bmitteilung\w*|\bbekanntmachung\w*|"
    r"\bpressemitteilung\w*|\bsagt\b|\bsagen\b|\bgesagt\b|\bin dem (er|sie)\b|\bauf dem steht|\bsteht\b|"
    r"\b[üu]berschrift\w*|\bschlagzeile\w*|\bbildunterschrift\w*|\bkommentar\w*|\bkont(o|en)\b|"
    r"\baccounts?\b|\bals w[äa]r\w*|\bzeitung\w*|\btitelseite\w*|\bank[üu]ndig\w*|\bbehaupt\w*|\btranskript\w*|"
    r"\beintr[äa]g\w*|\bticker\w*",
    r"\bescrib\w*|\bredact\w*|\btextos?\b|\bart[íi]culos?|\bnoticias?|\bnotas?\b|\bpublicaci[óo]n\w*|"
    r"\btuits?\b|\bmensajes?|\bcitas?\b|\bfrases?\b|\bdeclaraci[óo]n\w*|\bcartas?\b|\bavisos?\b|"
    r"\bcomunicados?|\btitulares?|\bpie de foto|\bdice\b|\bdiga\b|\bdiciendo|\bdijo\b|\bque pone\b|"
    r"\bcomentarios?|\bcuentas?\b|\bperfil\w*|\bhazte pasar|\bcomo si fuer\w*|\bperi[óo]dicos?|\bportadas?|"
    r"\banunci\w*|\bafirm\w*|\bcadena\b|\bpieza\b|\bcontando que\b|\bmanda\w*|\bdms?\b",
)


# A prompt is phrased as a picture when it names a medium or style, or starts as a
# description does, with an article ("a watercolor of...", "ballots being counted, photo").
_PICTURE = _rx(
    r"\bphoto\w*|\bpictures?\b|\bimages?\b|\bpics?\b|\bpaint\w*|\bdrawings?|\bdrawn\b|\bdraw\b|\billustrat\w*|"
    r"\bwatercolou?rs?|\bsketch\w*|\bcartoons?|\brender\w*|\bportraits?|\bposters?|\binfographics?|\bcharts?\b|"
    r"\bdiagrams?|\bmaps?\b|\blogos?\b|\bicons?\b|\bstickers?|\bwallpapers?|\brealistic|\bselfies?|\bcctv|"
    r"\bfootage|\bclose-?up|\bwide shot|\b[48]k\b|\bstyle\b|\bcaricatur\w*|\banime\b|\bcomics?\b",
    r"\bfoto\w*|\bbild\w*|\bgem[äa]lde|\bzeichnung\w*|\bzeichne\b|\bmale\b|\baquarell\w*|\bskizze|\bkarikatur\w*|"
    r"\bplakat\w*|\binfografik\w*|\bgrafik\w*|\bdiagramm\w*|\bkarte\b|\brealistisch\w*|\bstil\b",
    r"\bim[áa]gen\w*|\bdibuj\w*|\bpint\w*|\bacuarela|\bilustraci\w*|\bcaricatura|\bcartel\w*|\bp[óo]ster\w*|"
    r"\binfograf\w*|\bgr[áa]fic\w*|\bmapa\b|\bretrato|\brealista|\bestilo\b|\b[óo]leo\b|\bfotograf\w*",
)
_DESCRIPTION = re.compile(
    r"^\W*(a|an|the|two|three|some|several|ein|eine|einen|einer|der|die|das|zwei|drei|un|una|unos|unas|el|la|"
    r"los|las|dos|tres)\b",
    re.IGNORECASE,
)


def asks_for_words(text: str) -> bool:
    """Whether the picture is to carry a text, or the prompt asks for writing or posing as
    someone: then the text check applies to it as to a text request."""
    return bool(_WORDS.search(text))


def is_scene(text: str) -> bool:
    """A prompt phrased as a picture that carries no words: the image rules are its check.
    Everything else (any prompt that asks for words, or reads like a text request) goes
    through the text check too."""
    return bool((_PICTURE.search(text) or _DESCRIPTION.search(text)) and not asks_for_words(text))


# -- the check ---------------------------------------------------------------------------------


def check_image_prompt(guard: Guard, text: str, vec: np.ndarray | None = None) -> Decision:
    """Guard.check_image_prompt: the operator's input rules, the image rules, then the text
    check (`Guard.check_request`, on the prompt as it is) for a prompt that asks for words.
    `vec`: Embedder.both of the prompt, when made already."""
    from mynah.safety.guard import MAX_TEXT, Decision

    p = guard.policy
    text = text[:MAX_TEXT]
    lang = language(text)
    for r in p.rules:
        if r.stage == "input" and p.enabled(r.category) and r.pattern.search(text):
            return _refuse(guard, r.category, r.id, lang, r.text)
    hit = image_rule(text, p.enabled)
    if hit is not None:
        return _refuse(guard, hit[0], hit[1], lang)
    if is_scene(text):  # the image rules above are its check
        return Decision("allow", "general", None, version=p.version, lang=lang)
    d = guard.check_request(text, vec)
    if d.refused:
        d = replace(d, message=_message(guard, d.category, d.rule_id, lang))
    return d


def _message(guard: Guard, category: str, rule_id: str, lang: str, own: str | None = None) -> str:
    return image_refusal_text(category, rule_id, lang, guard.policy.election.official_url, own)


def _refuse(guard: Guard, category: str, rule_id: str, lang: str, own: str | None = None) -> Decision:
    from mynah.safety.guard import Decision

    msg = _message(guard, category, rule_id, lang, own)
    return Decision("refuse", category, rule_id, "input", msg, version=guard.policy.version, lang=lang)


# -- measured both ways ------------------------------------------------------------------------


def load_image_prompts(path: str | Path = DATA) -> list[dict]:
    """The labelled image prompts: {"prompt", "label": "refuse"|"allow", "category", "lang"}."""
    from mynah.safety.evaluate import jsonl_rows

    rows = []
    for n, r in jsonl_rows(path):
        if not isinstance(r.get("prompt"), str) or r.get("label") not in ("refuse", "allow"):
            raise ValueError(f"{path}:{n}: needs a 'prompt' string and a 'label' of refuse or allow")
        rows.append(r)
    return rows


def evaluate_image_prompts(guard: Guard, rows: list[dict]) -> dict:
    """The check measured both ways: the share of must-refuse prompts refused, the share of
    must-answer prompts refused (over-refusal), per language, and every miss."""
    out: dict = {"must_refuse": 0, "refused": 0, "must_answer": 0, "over_refused": 0, "same_category": 0}
    by_lang: dict[str, dict] = {}
    misses = []
    for r in rows:
        d = guard.check_image_prompt(r["prompt"])
        lang = by_lang.setdefault(
            r.get("lang", "en"), {"must_refuse": 0, "refused": 0, "must_answer": 0, "over_refused": 0}
        )
        must = r["label"] == "refuse"
        key, hit = ("must_refuse", "refused") if must else ("must_answer", "over_refused")
        for c in (out, lang):
            c[key] += 1
            c[hit] += d.refused
        if must and d.refused and d.category == r.get("category"):
            out["same_category"] += 1
        if d.refused != must:
            misses.append(
                {
                    "prompt": r["prompt"],
                    "label": r["label"],
                    "category": r.get("category"),
                    "lang": r.get("lang", "en"),
                    "got": d.decision,
                    "got_category": d.category,
                    "rule_id": d.rule_id,
                }
            )

    def rate(a: int, b: int) -> float:
        return round(a / b, 4) if b else 0.0

    out["refusal_rate"] = rate(out["refused"], out["must_refuse"])
    out["over_refusal_rate"] = rate(out["over_refused"], out["must_answer"])
    out["category_agreement"] = rate(out["same_category"], out["refused"])
    for c in by_lang.values():
        c["refusal_rate"] = rate(c["refused"], c["must_refuse"])
        c["over_refusal_rate"] = rate(c["over_refused"], c["must_answer"])
    out["by_lang"] = by_lang
    out["misses"] = misses
    return out
