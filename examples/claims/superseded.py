"""The words that say a policy is not the claim's current one, in the languages claims
come in: "my old policy", "Abgelaufene Police:", "Póliza anterior (cancelada)", "PL-1 was
cancelled". Both readers (`roles.py` around a value, `labels.py` from a form's label) take
them from here, so a word added for one is known to the other.

The words are regex alternations, without boundaries: each reader places them.
"""

from __future__ import annotations

__all__ = ["ENDED", "OLD_POLICY"]

# A policy that ended: said before its number ("cancelled policy", "Police résiliée:") or
# after it ("PL-1 was cancelled", "HX-2 (gekündigt)").
ENDED = (
    r"closed|cancell?ed|lapsed|expired|replaced|no longer|gekündigt\w*|abgelaufen\w*|"
    r"geschlossen\w*|ersetzt\w*|résilié\w*|annul[ée]e?|expirée?|cancelad[oa]|vencid[oa]|"
    r"opgezegd|verlopen|beëindigd|disdett\w*|scadut\w*|wygasł\w*|anulowan\w*|zrušen\w*|"
    r"opsagt|utløpt|uppsagd|iptal"
)
# A policy before the current one, or one that ended: only before its number ("my previous
# policy"; "PL-1, previous claims: none" says nothing about PL-1).
OLD_POLICY = (
    r"old|previous|former|prior|alte[nrs]?|frühere[nrs]?|vorherige[nrs]?|bisherige[nrs]?|"
    r"ancienne?|précédente?|anterior|antigu[oa]|vorige|oude|vecchia|precedente|"
    r"poprzedni\w*|předchozí|dřívější|tidligere|tidigare|föregående|önceki|eski|" + ENDED
)
