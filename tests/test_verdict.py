"""The verdict rules on constructed cases of real Arabic wire copy, and on
natural-dev (skipped without ../shared)."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.normalize import normalize
from dedup.shingle import shingles
from dedup.verdict import VerdictConfig, judge, judge_pairs, lead

from conftest import NATURAL, SEEDS, need

CABLE = (
    "بعث خادم الحرمين الشريفين الملك سلمان بن عبدالعزيز برقية تهنئة لفخامة الرئيس {name} رئيس جمهورية {country} "
    "بمناسبة ذكرى {occasion} لبلاده. وأعرب الملك المفدى باسمه واسم شعب وحكومة المملكة العربية السعودية عن أصدق "
    "التهاني وأطيب التمنيات بالصحة والسعادة لفخامة الرئيس {name} ولحكومة وشعب جمهورية {country} الشقيق المزيد "
    "من التقدم والازدهار."
)


def _judge(a: str, b: str, cfg: VerdictConfig = VerdictConfig()):
    na, nb = normalize(a), normalize(b)
    sa, sb = set(shingles(na, 5)), set(shingles(nb, 5))
    return judge(na, nb, len(sa & sb), len(sa), len(sb), cfg, (lead(a), lead(b)))


@pytest.fixture(scope="module")
def story() -> str:
    return (SEEDS / "001_5ae8f7c01cc1239e.txt").read_text(encoding="utf-8")


def test_same_text_up_to_normalization_is_duplicate(story):
    retyped = story.replace("ا", "أ", 3).replace("ة", "ه", 5).replace(" ", "\u00a0", 10)
    v = _judge(story, retyped)
    assert (v.relation, v.is_duplicate) == ("duplicate", True)


def test_template_with_other_names_is_different():
    a = CABLE.format(name="إيفو موراليس", country="بوليفيا", occasion="استقلال")
    b = CABLE.format(name="الحسن واتارا", country="كوت ديفوار", occasion="اليوم الوطني")
    v = _judge(a, b)
    assert 0.5 <= v.jaccard < 0.75  # a single threshold would call this a copy
    assert (v.relation, v.reason) == ("different", "template")
    assert not v.is_duplicate
    assert any("بوليفيا" in x or "موراليس" in x for x, _ in v.conflicts)


def test_template_with_same_names_and_a_changed_weekday_is_a_copy():
    a = "قال المتحدث الأمني يوم الثلاثاء " + CABLE.format(name="إيفو موراليس", country="بوليفيا", occasion="استقلال")
    b = "قال المتحدث الأمني يوم الأربعاء " + CABLE.format(name="إيفو موراليس", country="بوليفيا", occasion="استقلال")
    v = _judge(a, b)
    assert v.is_duplicate and v.reason != "template"


def test_truncated_copy_is_near_duplicate(story):
    cut = story[: len(story) // 4]
    v = _judge(story, cut)
    assert v.jaccard < 0.5 and max(v.containment) > 0.95
    assert (v.relation, v.reason) == ("near_duplicate", "truncated")


def test_new_lead_over_the_same_text_is_an_update(story):
    lead = "\n".join((SEEDS / name).read_text(encoding="utf-8") for name in ("003_9d8cd46eb67ea1a7.txt", "004_fd8cd8ca64bb0e70.txt"))
    updated = lead + "\n" + story
    v = _judge(story, updated)
    assert v.jaccard < 0.5 and max(v.containment) > 0.95
    assert (v.relation, v.reason) == ("update", "new_lead")


def test_changed_figure_is_an_update(seed_texts):
    story = seed_texts[0]
    assert "أكثر من 25 مسؤولاً" in story
    v = _judge(story, story.replace("أكثر من 25", "أكثر من 37"))
    assert (v.relation, v.reason) == ("update", "figures_changed")


def test_different_stories_are_different(seed_texts):
    v = _judge(seed_texts[0], seed_texts[1])
    assert (v.relation, v.reason) == ("different", "low_similarity")


def test_a_threshold_above_the_template_cap_still_judges(story):
    cut = story[: len(story) // 2]
    v = _judge(story, cut, VerdictConfig(threshold=0.9))
    assert v.relation == "near_duplicate"


def test_judge_pairs_agrees_with_judge(seed_texts, story):
    texts = [*seed_texts, story[: len(story) // 2], seed_texts[0].replace("25", "37"), story[: len(story) // 4]]
    norm = [normalize(t) for t in texts]
    sets = [set(shingles(t, 5)) for t in norm]
    pairs = np.array([(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts))], dtype=np.int64)
    inter = np.array([len(sets[i] & sets[j]) for i, j in pairs])
    sizes = np.array([len(s) for s in sets])
    got = judge_pairs(pairs, inter, sizes, lambda i: norm[i])
    for (i, j), v in zip(pairs.tolist(), got):
        assert v == judge(norm[i], norm[j], len(sets[i] & sets[j]), len(sets[i]), len(sets[j]))


def test_judge_pairs_reads_the_leads_a_reworded_copy_needs():
    texts = [REWORDED_STORY, REWORDED_COPY, REWORDED_COPY.replace("بمحافظة جدة", "بمحافظة الطائف")]
    norm = [normalize(t) for t in texts]
    sets = [set(shingles(t, 5)) for t in norm]
    pairs = np.array([(0, 1), (0, 2), (1, 2)], dtype=np.int64)
    inter = np.array([len(sets[i] & sets[j]) for i, j in pairs])
    sizes = np.array([len(s) for s in sets])
    asked: list[int] = []
    got = judge_pairs(pairs, inter, sizes, lambda i: norm[i], lead_of=lambda i: asked.append(i) or lead(texts[i]))
    assert [(v.relation, v.reason) for v in got][:2] == [("near_duplicate", "reworded"), ("different", "low_similarity")]
    for (i, j), v in zip(pairs.tolist(), got):
        assert v == _judge(texts[i], texts[j])
    assert asked == [0, 1]  # only the pair that passed every other test needed its leads
    with pytest.raises(ValueError, match="leads"):
        judge_pairs(pairs, inter, sizes, lambda i: norm[i])


REWORDED_STORY = (
    "أعلنت الشؤون الصحية بمحافظة جدة إغلاق أربع منشآت صحية خاصة لمخالفات جسيمة. "
    "وقال مدير إدارة الرقابة إن فرق التفتيش زارت أكثر من ستين منشأة خلال الأسبوع الماضي. "
    "وأوضح أن المخالفات شملت استخدام أدوية منتهية الصلاحية وتشغيل عمالة غير مرخصة. "
    "ودعت المديرية السكان إلى الإبلاغ عن أي تجاوزات عبر الرقم المجاني للوزارة."
)
REWORDED_LEAD = "أغلقت الشؤون الصحية بمحافظة جدة أربع منشآت صحية خاصة بسبب مخالفات جسيمة. "
REWORDED_BODY = [
    "وذكر مدير إدارة الرقابة أن فرق التفتيش زارت أكثر من ستين منشأة في الأسبوع المنصرم. ",
    "وأوضح أن المخالفات شملت استعمال أدوية انتهت صلاحيتها وتشغيل عمال غير مرخصين. ",
    "وطالبت المديرية المواطنين بالإبلاغ عن التجاوزات على الرقم المجاني للوزارة.",
]
#: the same release, every sentence reworded: Jaccard 0.495, just under 0.5
REWORDED_COPY = REWORDED_LEAD + "".join(REWORDED_BODY)


def _in_band(a: str, b: str) -> VerdictConfig:
    """Rules whose threshold sits just above this pair's Jaccard, so that
    only the reworded-copy tests can make it a duplicate."""
    v = _judge(a, b, VerdictConfig(reworded=1.0))
    assert v.reason == "low_similarity"
    return VerdictConfig(threshold=v.jaccard + 0.01)


def test_a_copy_reworded_sentence_by_sentence_is_a_near_duplicate():
    v = _judge(REWORDED_STORY, REWORDED_COPY)
    assert 0.45 <= v.jaccard < 0.5 and max(v.containment) < 0.75
    assert (v.relation, v.reason) == ("near_duplicate", "reworded")
    assert _judge(REWORDED_STORY, REWORDED_COPY, VerdictConfig(reworded=1.0)).reason == "low_similarity"
    with pytest.raises(ValueError, match="leads"):
        na, nb = normalize(REWORDED_STORY), normalize(REWORDED_COPY)
        sa, sb = set(shingles(na, 5)), set(shingles(nb, 5))
        judge(na, nb, len(sa & sb), len(sa), len(sb))


@pytest.mark.parametrize(
    "other, why",
    [
        # a different lead over the same body: stories sharing background
        ("افتتح أمير المنطقة مستشفى جديدا للأطفال بسعة ثلاثمائة سرير. " + "".join(REWORDED_BODY), "lead"),
        # another city after a place noun both share: one conflicting slot
        (REWORDED_COPY.replace("بمحافظة جدة", "بمحافظة الطائف"), "conflict"),
        # a new paragraph inside: more than a rewording
        (
            REWORDED_LEAD
            + REWORDED_BODY[0]
            + "وأشار إلى أن الوزارة تعتزم إطلاق منصة إلكترونية لاستقبال الشكاوى خلال الأشهر المقبلة بالتعاون مع "
            "عدد من الجهات الحكومية المعنية بحماية المستهلك. "
            + "".join(REWORDED_BODY[1:]),
            "inside",
        ),
    ],
)
def test_each_test_of_a_reworded_copy_can_reject_it(other, why):
    """Each pair fails exactly one test (the others are checked to hold), in
    the band by construction; the control is the reworded copy above."""
    from dedup.verdict import NEW_LEAD_WORDS, align

    cfg = _in_band(REWORDED_STORY, other)
    a, b = normalize(REWORDED_STORY), normalize(other)
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    alignment = align(short, long_, cfg)
    assert bool(alignment.conflicts) == (why == "conflict")
    assert (alignment.longer_inside >= NEW_LEAD_WORDS) == (why == "inside")
    assert alignment.longer_head < NEW_LEAD_WORDS
    v = _judge(REWORDED_STORY, other, cfg)
    assert (v.relation, v.reason) == ("different", "low_similarity")
    if why == "lead":  # the same pair without the lead test would pass
        from dedup import verdict

        assert not (verdict._told(lead(REWORDED_STORY), b) and verdict._told(lead(other), a))
    assert _judge(REWORDED_STORY, REWORDED_COPY, _in_band(REWORDED_STORY, REWORDED_COPY)).reason == "reworded"


def test_verdicts_beat_the_best_single_threshold_on_natural_dev():
    """Pairwise, on the labeled pairs: the verdict rules against the best
    single exact-Jaccard threshold (the issue's baseline, F1 ~0.85-0.87)."""
    need(NATURAL / "pairs.jsonl")
    import orjson

    raw = {r["id"]: r["text"] for r in map(orjson.loads, (NATURAL / "docs.jsonl").read_bytes().splitlines())}
    docs = {k: normalize(v) for k, v in raw.items()}
    leads = {k: lead(v) for k, v in raw.items()}
    pairs = [orjson.loads(line) for line in (NATURAL / "pairs.jsonl").read_bytes().splitlines()]
    sets = {k: set(shingles(v, 5)) for k, v in docs.items()}

    def f1(predict) -> float:
        tp = fp = fn = 0
        for p in pairs:
            got, want = predict(p["a"], p["b"]), p["label"] == "COPY"
            tp, fp, fn = tp + (got and want), fp + (got and not want), fn + (want and not got)
        return 2 * tp / (2 * tp + fp + fn)

    def jac(a, b):
        return len(sets[a] & sets[b]) / len(sets[a] | sets[b])

    best_single = max(f1(lambda a, b, t=t: jac(a, b) >= t) for t in np.arange(0.3, 0.91, 0.05))
    ours = f1(
        lambda a, b: judge(
            docs[a], docs[b], len(sets[a] & sets[b]), len(sets[a]), len(sets[b]), leads=(leads[a], leads[b])
        ).is_duplicate
    )
    assert best_single < 0.87
    assert ours >= best_single + 0.02, (ours, best_single)


def test_scan_clusters_on_natural_dev_at_defaults():
    """The whole scan (verdicts, hub split, template pairs kept apart) on the
    labeled pairs: a pair is predicted a copy when both documents share a
    cluster. The issue's target: F1 >= 0.93 with precision >= 0.95 (measured
    0.969 precision, 0.921 recall, F1 0.944: README "Verdicts")."""
    need(NATURAL / "pairs.jsonl")
    import orjson

    from dedup.inputs import Document
    from dedup.scan import ScanConfig, scan

    rows = [orjson.loads(line) for line in (NATURAL / "docs.jsonl").read_bytes().splitlines()]
    docs = [Document(r["id"], r["text"], f"docs.jsonl:{n}") for n, r in enumerate(rows, 1)]
    pairs = [orjson.loads(line) for line in (NATURAL / "pairs.jsonl").read_bytes().splitlines()]
    result = scan(docs, ScanConfig())
    cluster_of = {result.documents[m].id: k for k, c in enumerate(result.clusters) for m in c.cluster.members}
    tp = fp = fn = 0
    for p in pairs:
        got = p["a"] in cluster_of and cluster_of[p["a"]] == cluster_of.get(p["b"])
        want = p["label"] == "COPY"
        tp, fp, fn = tp + (got and want), fp + (got and not want), fn + (want and not got)
    assert tp / (tp + fp) >= 0.95, (tp, fp, fn)
    assert 2 * tp / (2 * tp + fp + fn) >= 0.93, (tp, fp, fn)


def test_every_labeled_pair_judged_reworded_is_a_copy():
    """On natural-dev's labeled pairs, the labelers are the reference: the
    reworded-copy rule fires on copies only (three, measured), and on none
    of the labeled non-copies in the same Jaccard band."""
    need(NATURAL / "pairs.jsonl")
    import orjson

    raw = {r["id"]: r["text"] for r in map(orjson.loads, (NATURAL / "docs.jsonl").read_bytes().splitlines())}
    pairs = [orjson.loads(line) for line in (NATURAL / "pairs.jsonl").read_bytes().splitlines()]
    cfg = VerdictConfig()
    labels, in_band = [], []
    for p in pairs:
        v = _judge(raw[p["a"]], raw[p["b"]], cfg)
        if v.reason == "reworded":
            labels.append(p["label"])
        if cfg.floor <= v.jaccard < cfg.threshold and max(v.containment) < cfg.containment:
            in_band.append(p["label"])
    assert labels and set(labels) == {"COPY"}, labels
    assert len(in_band) > len(labels) and set(in_band) - {"COPY"}, in_band  # the band holds non-copies it rejected


# Slots the template test must not read as conflicting facts: each case is
# checked with the recurring-word rule off, against a control slot of the same
# shape that is a conflict, so the test fails if the rule is removed.
NO_RECURRING = VerdictConfig(recurring=False)
LEAD = "أعلنت وزارة الداخلية في بيان اليوم أن دورياتها ضبطت"
TAIL = "في منطقة حدودية وأحالت المتهمين إلى جهات التحقيق المختصة لاستكمال الإجراءات النظامية بحقهم"


def _conflicts(a: str, b: str) -> tuple[tuple[str, str], ...]:
    from dedup.verdict import align

    return align(normalize(a), normalize(b), NO_RECURRING).conflicts


@pytest.mark.parametrize(
    "rewording, control",
    [
        # a figure in digits and the same figure spelled out
        (("43.8 كيلوغراما", "ثلاثة وأربعين فاصلة ثمانية كيلوغراما"), ("43.8 كيلوغراما", "شحنة مخدرات كيلوغراما")),
        # the same word inflected, with the article
        (("نظاما صاروخيا", "الصاروخ أطلقته"), ("نظاما صاروخيا", "المدفع أطلقته")),
        # a function word where the other text has a content word
        (("عصابة شهداء", "عصابة خلال"), ("عصابة شهداء", "عصابة جرحى")),
    ],
)
def test_reworded_slots_are_not_conflicts(rewording, control):
    x, y = rewording
    assert _conflicts(f"{LEAD} {x} {TAIL}", f"{LEAD} {y} {TAIL}") == ()
    x, y = control
    assert _conflicts(f"{LEAD} {x} {TAIL}", f"{LEAD} {y} {TAIL}") != ()


def test_stem():
    from dedup.verdict import stem

    assert stem(normalize("صاروخيًا")) == stem(normalize("الصاروخ")) == "صاروخ"
    assert stem(normalize("والمملكة")) == stem(normalize("المملكة"))
    assert stem(normalize("المغرب")) != stem(normalize("المصري"))  # Morocco is not Egyptian


@pytest.mark.parametrize(
    "x, y",
    [
        ("ثلاثة متهمين", "عشرين متهما"),  # the same noun inflected beside another figure
        ("5 متهمين", "ثلاثة متهمين"),  # digits and a number word of another value
        ("5 قتلى", "ثلاثة جرحى"),  # the same, each beside another word
        ("40كم", "ثلاثة"),  # a figure with its unit attached
        ("عصابة علي", "عصابة محمد"),  # علي is a name as well as a preposition
    ],
)
def test_figures_and_names_beside_rewordings_still_conflict(x, y):
    assert _conflicts(f"{LEAD} {x} {TAIL}", f"{LEAD} {y} {TAIL}") != ()


@pytest.mark.parametrize("x, y", [("3 متهمين", "ثلاثة متهمين"), ("1 عبوة", "واحدة عبوة"), ("2 قذيفة", "اثنتان قذيفة")])
def test_the_same_figure_in_digits_and_words_is_no_conflict(x, y):
    # pyarabic reads واحدة as 0 and has no اثنتان: both are given their values
    assert _conflicts(f"{LEAD} {x} {TAIL}", f"{LEAD} {y} {TAIL}") == ()


FLIGHT = (
    "وصلت أمس الطائرة الإغاثية السعودية {ordinal} إلى مطار عدن الدولي محملة بأدوية ومستلزمات طبية، يرافقها فريق "
    "إغاثي من مركز الملك سلمان للإغاثة والأعمال الإنسانية. وأوضح المتحدث الرسمي باسم المركز أن هذه المساعدات تأتي "
    "ضمن جسر جوي لنقل المساعدات الإغاثية والإنسانية إلى الشعب اليمني، وأن فرق المركز تتابع توزيعها على المستشفيات "
    "والمراكز الصحية في المحافظات المحررة بالتنسيق مع السلطات المحلية والمنظمات الدولية العاملة هناك. وقد خصصت "
    "شحنة هذه الرحلة لمرضى الأمراض المزمنة الذين تعطلت علاجاتهم منذ أشهر بسبب نقص الأدوية في الأسواق."
)
FLIGHT_EDIT = (
    " وأشار إلى أن المركز سيواصل تسيير الرحلات خلال الأيام المقبلة وفق الاحتياجات التي ترفعها الفرق الميدانية،"
    " مبينا أن قوافل برية تحمل مواد غذائية وإيوائية انطلقت بدورها نحو المدن المتضررة من الأحداث."
)


def test_another_ordinal_is_a_template_however_few_other_conflicts():
    """The fourth relief plane against the sixth: one slot in ~60 aligned
    words, below the conflict rate, but which occurrence of a recurring event
    a report is about is its fact; the same report re-sent with an added
    sentence stays a copy."""
    from dedup.verdict import align

    a = FLIGHT.format(ordinal="الرابعة")
    other = FLIGHT.format(ordinal="السادسة") + FLIGHT_EDIT
    v = _judge(a, other)
    assert 0.5 <= v.jaccard < 0.75
    assert (v.relation, v.reason) == ("different", "template")
    assert ("الرابعه", "السادسه") in v.conflicts
    alignment = align(normalize(a), normalize(other))
    assert 100 * len(alignment.conflicts) / alignment.aligned_words < VerdictConfig().conflict_rate
    same = _judge(a, FLIGHT.format(ordinal="الرابعة") + FLIGHT_EDIT)
    assert same.is_duplicate and same.reason != "template"


@pytest.mark.parametrize(
    "x, y, conflict",
    [
        ("الرابعة", "السابعة", True),  # alike in spelling, not in value
        ("الثالث", "الثامنة", True),
        ("الأولى", "الثانية", True),
        ("الثاني", "الثانية", False),  # one ordinal, two genders
        # compound ordinals 11th-19th, in both orders of alignment
        ("الحادية عشرة", "الأولى", True),  # the 11th is not the 1st
        ("الأولى", "الحادية عشرة", True),
        ("الثانية", "الثانية عشرة", True),  # nor the 12th the 2nd
        ("الحادية عشرة", "الثانية عشرة", True),
        ("الحادية عشرة", "الحادي عشر", False),
    ],
)
def test_ordinal_slots(x, y, conflict):
    from dedup.verdict import align

    alignment = align(normalize(FLIGHT.format(ordinal=x)), normalize(FLIGHT.format(ordinal=y)))
    assert bool(alignment.decisive) == conflict


INTERCEPTION = (
    "أعلن المتحدث باسم قوات التحالف أن الدفاعات الجوية اعترضت صاروخا باليستيا أطلقته الميليشيات من محافظة {origin} "
    "باتجاه مدينة {target}، وأن الصاروخ أطلق بطريقة متعمدة لاستهداف المناطق المدنية والآهلة بالسكان، وقد تمكنت قوات "
    "الدفاع الجوي من اعتراضه وتدميره، ونتج عن ذلك تناثر شظايا على الأحياء السكنية دون تسجيل أي إصابات. وأكد المتحدث "
    "أن هذا العمل العدائي يثبت استمرار تورط النظام الداعم للميليشيات بتزويدها بقدرات نوعية في تحد واضح للقرارات "
    "الأممية بهدف تهديد أمن المملكة والأمن الإقليمي والدولي، وأن إطلاق الصواريخ باتجاه المدن يعد مخالفا للقانون "
    "الدولي الإنساني."
)


@pytest.mark.parametrize(
    "origin, target, relation",
    [
        ("عمران", "جازان", "template"),  # another launch site, named once: decisive after محافظة
        ("صعدة", "نجران", "template"),  # another target: نجران and جازان are 60% alike letter by letter
        ("صعده", "جازان", "copy"),  # the same places, one re-spelled
    ],
)
def test_another_place_after_a_shared_place_noun_is_a_template(origin, target, relation):
    """Two interceptions in the same wording: the launch site or the target
    differs in one word each, mentioned once (the recurring-word rule would
    let it pass) and below the conflict rate; an edited copy of one report
    (a sentence added) keeps its places."""
    a = INTERCEPTION.format(origin="صعدة", target="جازان")
    b = INTERCEPTION.format(origin=origin, target=target) + " " + FLIGHT_EDIT.strip()
    v = _judge(a, b)
    assert 0.5 <= v.jaccard < 0.75
    if relation == "template":
        assert (v.relation, v.reason) == ("different", "template")
        assert len(v.conflicts) == 1  # one slot, 1 in ~90 aligned words
    else:
        assert v.is_duplicate and v.reason != "template"


@pytest.mark.parametrize(
    "target, relation",
    [
        ("خميس مشيط جنوبي المملكة وقد أطلقه الحوثيون عمدا", "template"),  # another city, the clause rewritten
        ("جيزان جنوبي المملكة وقد أطلقه الحوثيون عمدا", "copy"),  # the same city re-spelled, the clause rewritten
    ],
)
def test_a_place_name_opening_a_rewritten_clause_is_still_compared(target, relation):
    """The name after a shared place noun settles it even when the words
    after it are rewritten too (a slot longer than ``slot_words``): the
    place is the replaced span's first word on each side. Two interceptions
    of other days, one aimed at Jazan, the other at Khamis Mushait, were an
    edited copy because the target's clause was reworded as well."""
    a = INTERCEPTION.format(origin="صعدة", target="جازان")
    b = a.replace("جازان، وأن الصاروخ أطلق بطريقة متعمدة", target) + " " + FLIGHT_EDIT.strip()
    v = _judge(a, b)
    assert 0.5 <= v.jaccard < 0.75
    if relation == "template":
        assert (v.relation, v.reason) == ("different", "template")
        assert v.conflicts == (("جازان", "خميس"),)
    else:
        assert v.is_duplicate and not v.conflicts


def test_a_place_noun_before_a_new_clause_names_nothing():
    """Normalized text has no full stops: "in 48 of 50 states. It did..."
    against "... states. And ..." aligns the next clause after the place
    noun; a slot starting with the conjunction و is not read as a name."""
    from dedup.verdict import align

    lead = "تصدرت الرواية قوائم المبيعات في 48 من بين 50 ولاية"
    tail = "رواج مبيعات الرواية إلى اقتباسها في مسلسل تلفزيوني شاهده الملايين حول العالم خلال العام الماضي"
    assert align(normalize(f"{lead}. فعلته {tail}"), normalize(f"{lead}. ويرجع {tail}")).decisive == 0
    assert align(normalize(f"{lead}. فعلته {tail}"), normalize(f"{lead}. والرواية {tail}")).decisive == 0
    assert align(normalize(f"{lead}. فعلته {tail}"), normalize(f"{lead}. و فعلت {tail}")).decisive == 0  # و alone
    assert align(normalize(f"{lead} فلوريدا {tail}"), normalize(f"{lead} تكساس {tail}")).decisive == 1
    # a name that starts with the letter و is a name, not the conjunction
    assert align(normalize(f"{lead} واشنطن {tail}"), normalize(f"{lead} تكساس {tail}")).decisive == 1


def test_what_the_longer_text_adds_and_where_names_the_relation(story):
    """``truncated``: the longer adds text at its end (a short new head at
    most); ``new_lead``: 15 words or more before the shared text;
    ``expanded``: new paragraphs inside it."""
    other = " ".join((SEEDS / "003_9d8cd46eb67ea1a7.txt").read_text(encoding="utf-8").split()[:40])
    words = story.split()
    third = len(words) // 3
    shared = " ".join(words[:third])
    rest = " ".join(words[third : 2 * third + 60])  # the longer runs on: Jaccard < 0.5, a share > 1/3
    cases = {
        "truncated": (shared, f"{' '.join(other.split()[:10])} {shared} {rest}"),  # 10 new words first
        "expanded": (shared, f"{' '.join(words[:third // 2])} {other} {' '.join(words[third // 2 : third])} {rest}"),
        "new_lead": (shared, f"{other} {shared} {rest}"),
    }
    for reason, (short, long_) in cases.items():
        v = _judge(short, long_)
        assert v.jaccard < 0.5 and max(v.containment) > 0.95, reason
        assert (v.is_duplicate, v.reason) == (True, reason)


def test_empty_texts_are_not_duplicates():
    assert judge("", "", 0, 0, 0).relation == "different"


def test_the_report_schema_lists_every_reason_judge_gives():
    """The schema's reason enum is dedup.verdict.PAIR_REASONS: every reason
    literal ``judge`` (and ``_reworded``, which it asks) can give a duplicate
    or partial pair is in it."""
    import ast
    import inspect

    import dedup.verdict as verdict
    from dedup.report import SCAN_SCHEMA

    given = {
        node.value
        for function in (verdict.judge, verdict._reworded)
        for node in ast.walk(ast.parse(inspect.getsource(function)))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.islower() and " " not in node.value
    }
    relations = verdict.DUPLICATE_RELATIONS | {"partial", "different"}
    assert given - relations == set(verdict.PAIR_REASONS) | {"low_similarity", "template"}
    assert SCAN_SCHEMA["$defs"]["pair"]["properties"]["reason"]["enum"] == [None, *verdict.PAIR_REASONS]


FORECAST = (
    "توقعت الرئاسة العامة للأرصاد وحماية البيئة في تقريرها عن حالة الطقس لهذا اليوم {regions}. وأورد التقرير أن "
    "حركة الرياح السطحية على البحر الأحمر ستكون شمالية غربية بسرعة 15-35 كم/ساعة، وارتفاع الموج من 1 إلى 2 متر، "
    "بينما تكون حركة الرياح السطحية على الخليج العربي شمالية غربية بسرعة {gulf_wind} كم/ساعة، وارتفاع الموج من "
    "{gulf_waves} متر، وحالة البحر متوسط الموج."
)


def test_other_figures_are_conflicts_even_when_the_other_text_has_them_elsewhere():
    """Weather reports of two days: the Gulf's wind speeds and waves are the
    Red Sea's of the other day. A report repeats figures, so a figure found
    elsewhere in the other text has not moved there: both slots conflict,
    and the two days are a template; the same day's report re-sent with
    another list of regions is a copy."""
    from dedup.verdict import align

    day1 = FORECAST.format(
        regions="أمطارا رعدية على مرتفعات جازان وعسير والباحة ومكة المكرمة", gulf_wind="15-35", gulf_waves="1 إلى 2"
    )
    day2 = FORECAST.format(
        regions="طقسا شديد الحرارة على شرق ووسط المملكة مع تدني الرؤية الأفقية", gulf_wind="10-30", gulf_waves="3 إلى 4"
    )
    assert align(normalize(day1), normalize(day2)).conflicts == (("15 35", "10 30"), ("1", "3"), ("2", "4"))
    v = _judge(day1, day2)
    assert v.jaccard < 0.75 and (v.relation, v.reason) == ("different", "template")
    resent = day1.replace("أمطارا رعدية على مرتفعات جازان وعسير والباحة ومكة المكرمة", "أمطارا رعدية على مرتفعات جازان")
    assert _judge(day1, resent).is_duplicate


@pytest.mark.parametrize(
    "field, value",
    [("threshold", 0.0), ("containment", 1.5), ("template_max_jaccard", -0.1), ("min_share", 2.0),
     ("conflict_rate", 0.0), ("slot_words", 0), ("variant_ratio", 101.0)],
)
def test_verdict_config_refuses_values_outside_their_range(field, value):
    with pytest.raises(ValueError, match=field):
        VerdictConfig(**{field: value})
