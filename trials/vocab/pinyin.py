"""Chinese patent medicines written in pinyin: "Shu Gan Yi Yang capsule", "Qizhi Tongluo capsules",
"Yupingfeng powder granules", "Buyuan Zhixiao formula".

No open vocabulary lists the thousands of them, but their names have one shape: words made only of
pinyin syllables, then a dosage form. Two such words or more (or one long run of syllables) before
the form is an herbal product; English words rarely pass ("banana powder", "green tea" do not).
"""

from __future__ import annotations

import re

_INITIAL = r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
_FINAL = (
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uan|uai|ai|ei|ui|ao|ou|iu|ie|ue|ve|er|an|en|in|un|ia|ua|uo|a|o|e|i|u|v)"
)
_SYLLABLES = re.compile(rf"(?:{_INITIAL}{_FINAL}){{1,4}}")
_FORMS = (
    r"(?:capsules?|granules?|formula|decoction|pills?|tablets?|powder|oral liquid|injection|tang|wan|san|paste"
    r"|plaster|tea)"
)
_NAME = re.compile(rf"((?:[a-z]+ )+?)(?:{_FORMS} ?)+")
_MIN_ONE_WORD = 9  # "yupingfeng", "kanglaite"; not "danshen" alone


def is_pinyin_medicine(key: str) -> bool:
    """Whether a folded name (``name_key``) is a pinyin name followed by a dosage form."""
    match = _NAME.fullmatch(key.strip() + " ") or _NAME.fullmatch(key.strip())
    if not match:
        return False
    words = match.group(1).split()
    if not all(_SYLLABLES.fullmatch(word) for word in words):
        return False
    return len(words) >= 2 or len(words[0]) >= _MIN_ONE_WORD
