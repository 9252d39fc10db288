"""Text normalisation for search and deduplication, in Latin and Arabic scripts.

`search_key` turns a name into a comparable form: case, accents, punctuation and spacing are
folded; in Arabic, diacritics and tatweel are removed and letter variants unified (alef forms,
ta marbuta, alef maqsura, hamza carriers); Arabic-Indic digits become ASCII. `transliterate`
gives a rough Latin spelling of an Arabic name so that names written in the two scripts can be
compared (تعاونية الخير ~ "taawniya alkhayr" ~ "Coopérative Al Khayr").
"""

import re
import unicodedata

ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
TATWEEL = "\u0640"
ARABIC_LETTER_VARIANTS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ة": "ه",
        "ى": "ي",
        "ئ": "ي",
        "ؤ": "و",
        "ء": "",
        "گ": "ك",
        "ک": "ك",
        "ی": "ي",
        "ڤ": "ف",
        "پ": "ب",
    }
)
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
NON_WORD = re.compile(r"[^\w]+", re.UNICODE)

# A rough phonetic transliteration, enough to bring the two scripts close for fuzzy matching.
ARABIC_TO_LATIN = {
    "ا": "a", "ب": "b", "ت": "t", "ث": "t", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "d",
    "ر": "r", "ز": "z", "س": "s", "ش": "ch", "ص": "s", "ض": "d", "ط": "t", "ظ": "d", "ع": "a",
    "غ": "gh", "ف": "f", "ق": "k", "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "a", "و": "ou",
    "ي": "i",
}  # fmt: skip
# Words that only say "cooperative" in either language: left out when comparing names.
GENERIC_WORDS = frozenset(
    {
        "cooperative",
        "coop",
        "cooperatives",
        "taaounia",
        "taaouniya",
        "taaouniyat",
        "al",
        "el",
        "de",
        "des",
        "du",
        "la",
        "le",
        "les",
        "d",
        "l",
        "pour",
        "et",
        "lil",
        "li",
        "wa",
        "fi",
    }
)


def fold_digits(text: str) -> str:
    return text.translate(DIGITS)


def normalise_arabic(text: str) -> str:
    text = ARABIC_DIACRITICS.sub("", text).replace(TATWEEL, "")
    return text.translate(ARABIC_LETTER_VARIANTS)


def normalise_latin(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_key(text: str | None) -> str:
    """Lower-case, accent-free, diacritic-free, single-spaced form of `text`."""
    if not text:
        return ""
    text = fold_digits(normalise_arabic(text))
    text = normalise_latin(text).casefold()
    return " ".join(NON_WORD.sub(" ", text).replace("_", " ").split())


def transliterate(text: str | None) -> str:
    """A Latin spelling of the Arabic letters of `text` (other characters kept), for comparisons."""
    words = []
    for word in search_key(text).split():
        if word.startswith("ال") and len(word) > 3:
            words.append("al")
            word = word[2:]
        words.append("".join(ARABIC_TO_LATIN.get(char, char) for char in word))
    return " ".join(words)


def comparable_name(text: str | None) -> str:
    """The name as compared for duplicates: search key, transliterated, generic words dropped."""
    words = [word for word in transliterate(text).split() if word not in GENERIC_WORDS]
    return " ".join(words)


def searchable(*names: str | None) -> str:
    """What a record stores to be found by any of its names, in either script."""
    parts = []
    for name in names:
        key = search_key(name)
        if key:
            parts.append(key)
            latin = transliterate(name)
            if latin != key:
                parts.append(latin)
    return " | ".join(parts)


VOWELS = re.compile("[aeiouy]")


def skeleton(text: str | None) -> str:
    """The consonants of each word of `comparable_name`: Arabic writes no short vowels, so two
    spellings of one name across scripts ("Al Khayr", الخير) meet here ("khr")."""
    words = (VOWELS.sub("", word) or word for word in comparable_name(text).split())
    return " ".join(word for word in words if word)
