"""English names of organisations: reviewed official names, else a translation, else pinyin."""

from regtrail.names.translate import (
    OFFICIAL,
    ROMANISED,
    TRANSLATED,
    Translator,
    legal_form_pinyin,
    places_from_admin_codes,
    provinces_from_admin_codes,
)

__all__ = ["OFFICIAL", "ROMANISED", "TRANSLATED", "Translator", "legal_form_pinyin", "places_from_admin_codes",
           "provinces_from_admin_codes"]
