"""Chinese text for opinions: category suggestion and similar-case detection (jieba + scikit-learn).

Category suggestion learns from opinions staff have already classified (a TF-IDF + naive
Bayes model per process, refreshed hourly); with too few of them it falls back to keyword
rules. Similarity is TF-IDF cosine over jieba words among a small candidate set (same
village/category, open), so it is cheap per request. scikit-learn is imported where it is first
used: a process that never suggests or compares (most web workers) does not pay its start-up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import jieba

from renda.opinions.models import Opinion
from renda.org.models import Category

logger = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

# Keyword rules for the first-level categories (used until enough classified opinions exist).
KEYWORDS: dict[str, list[str]] = {
    "城乡建设": ["路灯", "道路", "马路", "坑洼", "违建", "违章", "污水", "下水道", "管网", "破损", "施工", "桥"],
    "交通运输": ["公交", "班车", "停车", "堵车", "拥堵", "红绿灯", "客运", "农村公路"],
    "环境保护": ["污染", "臭", "噪声", "噪音", "垃圾", "排污", "河道", "黑水", "油烟", "焚烧"],
    "劳动和社会保障": ["社保", "医保", "养老金", "工资", "欠薪", "就业", "养老院", "退休"],
    "教育文体": ["学校", "入学", "校车", "幼儿园", "学生", "老师", "文化", "体育", "健身", "广场舞"],
    "卫生健康": ["卫生院", "医院", "看病", "医生", "疫苗", "诊所", "药"],
    "商贸旅游": ["市场", "菜场", "旅游", "景区", "商铺"],
    "农业农村": ["农田", "灌溉", "水渠", "种植", "补贴", "土地", "流转", "养殖", "农机"],
    "民政与社会救助": ["低保", "救助", "残疾", "困难", "殡葬", "孤寡"],
    "治安与公共安全": ["治安", "偷", "盗", "诈骗", "消防", "安全隐患", "监控"],
    "水电气与通信": ["停水", "水压", "自来水", "停电", "电压", "燃气", "信号", "宽带", "网络"],
    "住房与物业": ["物业", "小区", "电梯", "老旧小区", "漏水", "房屋"],
    "市场监管与消费": ["食品", "过期", "假货", "消费", "价格"],
    "政务服务": ["办事", "窗口", "证明", "审批", "跑腿"],
}

MODEL_TTL = 3600
MIN_TRAINING = 60


def words(text: str) -> list[str]:
    return [w for w in jieba.lcut(text) if len(w.strip()) > 1 or "\u4e00" <= w <= "\u9fff"]


def keyword_category(text: str) -> str | None:
    best, best_hits = None, 0
    for name, keys in KEYWORDS.items():
        hits = sum(text.count(k) for k in keys)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


@dataclass
class _Model:
    built_at: float
    pipeline: object | None  # sklearn Pipeline, or None when too little data


_model: _Model | None = None
_lock = threading.Lock()


def _train() -> _Model:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import make_pipeline

    rows = list(Opinion.objects.exclude(source="qr").order_by("-id").values_list("text", "category_id")[:5000])
    if len(rows) < MIN_TRAINING:
        return _Model(time.monotonic(), None)
    pipeline = make_pipeline(TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False), ComplementNB())
    pipeline.fit([r[0] for r in rows], [r[1] for r in rows])
    return _Model(time.monotonic(), pipeline)


def _current_model() -> _Model:
    global _model
    with _lock:
        # Without enough data the keyword rules answer, and training is retried soon.
        ttl = MODEL_TTL if _model is not None and _model.pipeline is not None else 300
        if _model is None or time.monotonic() - _model.built_at > ttl:
            try:
                _model = _train()
            except Exception:  # a broken model must not block a citizen's submission
                logger.exception("category model training failed")
                _model = _Model(time.monotonic(), None)
        return _model


def suggest_category_ids(texts: Sequence[str]) -> list[int | None]:
    """The most likely category id of each text (a second-level one where learnt), in one pass."""
    cleaned = [(t or "").strip() for t in texts]
    answers: list[int | None] = [None] * len(cleaned)
    todo = [i for i, t in enumerate(cleaned) if len(t) >= 4]
    if not todo:
        return answers
    model = _current_model()
    if model.pipeline is not None:
        predicted = model.pipeline.predict([cleaned[i] for i in todo])  # type: ignore[attr-defined]
        for i, value in zip(todo, predicted, strict=True):
            answers[i] = int(value)
        return answers
    names = {i: keyword_category(cleaned[i]) for i in todo}
    ids = dict(
        Category.objects.filter(name__in={n for n in names.values() if n}, parent__isnull=True).values_list(
            "name", "id"
        )
    )
    for i, name in names.items():
        answers[i] = ids.get(name) if name else None
    return answers


def suggest_category_id(text: str) -> int | None:
    """The id of the most likely category for ``text`` (a second-level one where learnt)."""
    return suggest_category_ids([text])[0]


def reset_model() -> None:
    global _model
    with _lock:
        _model = None


def similar(
    text: str, candidates: Sequence[tuple[int, str]], *, threshold: float = 0.35, limit: int = 3
) -> list[tuple[int, float]]:
    """(id, score) of the candidates most like ``text``, best first, above ``threshold``."""
    if not candidates or not text.strip():
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_similarity

    docs = [text] + [c[1] for c in candidates]
    try:
        matrix = TfidfVectorizer(tokenizer=words, token_pattern=None, lowercase=False).fit_transform(docs)
    except ValueError:  # only stop-words
        return []
    scores = cosine_similarity(matrix[0:1], matrix[1:])[0]
    ranked = sorted(((candidates[i][0], float(s)) for i, s in enumerate(scores) if s >= threshold), key=lambda x: -x[1])
    return ranked[:limit]
