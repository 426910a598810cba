"""Reference lists a new installation and the demo start from (administrators edit them).

Sources: ../shared/DOMAIN.md "Reference lists" — the first-level classes citizen hotlines
use, and the usual offices of a township and bureaus of a county.
"""

from __future__ import annotations

# (code, name, [second-level names]) — the first-level list of hotline/message-board systems.
CATEGORIES: list[tuple[str, str, list[str]]] = [
    ("01", "城乡建设", ["道路设施", "违章建筑", "污水管网", "路灯", "村容村貌"]),
    ("02", "交通运输", ["公交线路", "道路拥堵", "停车管理", "农村公路"]),
    ("03", "环境保护", ["水污染", "大气污染", "噪声扰民", "垃圾处理"]),
    ("04", "劳动和社会保障", ["社保医保", "欠薪讨薪", "就业创业", "养老服务"]),
    ("05", "教育文体", ["入学", "校车", "文体设施", "校园周边"]),
    ("06", "卫生健康", ["基层医疗", "公共卫生", "医保报销"]),
    ("07", "商贸旅游", ["集贸市场", "旅游服务"]),
    ("08", "农业农村", ["农田水利", "土地流转", "农业补贴", "乡村振兴"]),
    ("09", "民政与社会救助", ["低保救助", "残疾人服务", "殡葬管理"]),
    ("10", "治安与公共安全", ["社会治安", "消防安全", "交通安全"]),
    ("11", "水电气与通信", ["供水", "供电", "燃气", "网络通信"]),
    ("12", "住房与物业", ["物业管理", "老旧小区改造", "保障性住房"]),
    ("13", "市场监管与消费", ["食品安全", "消费维权"]),
    ("14", "政务服务", ["办事效率", "证照办理"]),
    ("99", "其他", ["其他"]),
]

# Township offices (乡镇站所) and the first-level categories they usually handle.
TOWNSHIP_UNITS: list[tuple[str, str, list[str]]] = [
    ("党政办", "office", ["政务服务", "其他"]),
    ("经济发展办", "office", ["商贸旅游"]),
    ("财政所", "office", []),
    ("农业农村办", "office", ["农业农村"]),
    ("社会事务办", "office", ["民政与社会救助", "劳动和社会保障"]),
    ("规划建设办", "office", ["城乡建设", "住房与物业"]),
    ("自然资源所", "office", []),
    ("生态环境办", "office", ["环境保护"]),
    ("综合行政执法队", "office", ["城乡建设"]),
    ("市场监管所", "office", ["市场监管与消费"]),
    ("派出所", "office", ["治安与公共安全"]),
    ("司法所", "office", []),
    ("劳动保障所", "office", ["劳动和社会保障"]),
    ("退役军人服务站", "office", []),
    ("应急管理办", "office", ["治安与公共安全"]),
    ("水利站", "office", ["农业农村"]),
    ("卫生院", "office", ["卫生健康"]),
    ("中心学校", "office", ["教育文体"]),
    ("供电所", "office", ["水电气与通信/供电"]),
]

# County bureaus plus 监委, 法院, 检察院 (一府一委两院).
COUNTY_UNITS: list[tuple[str, str, list[str]]] = [
    ("人民政府办公室", "government", ["政务服务"]),
    ("发展和改革局", "department", []),
    ("教育局", "department", ["教育文体"]),
    ("公安局", "department", ["治安与公共安全"]),
    ("民政局", "department", ["民政与社会救助"]),
    ("人力资源和社会保障局", "department", ["劳动和社会保障"]),
    ("自然资源和规划局", "department", []),
    ("住房和城乡建设局", "department", ["城乡建设", "住房与物业"]),
    ("交通运输局", "department", ["交通运输"]),
    ("水利局", "department", ["农业农村"]),
    ("农业农村局", "department", ["农业农村"]),
    ("卫生健康局", "department", ["卫生健康"]),
    ("生态环境分局", "department", ["环境保护"]),
    ("市场监督管理局", "department", ["市场监管与消费"]),
    ("综合行政执法局", "department", ["城乡建设"]),
    ("监察委员会", "supervision", []),
    ("人民法院", "court", []),
    ("人民检察院", "procuratorate", []),
]

# Public utilities and operators of a county: a gas leak, a bus line or broadband is theirs to
# answer. Reached through their customer service desk.
COUNTY_UTILITIES: list[tuple[str, str, list[str]]] = [
    ("供水有限公司", "other", ["水电气与通信/供水"]),
    ("燃气有限公司", "other", ["水电气与通信/燃气"]),
    ("公共交通有限公司", "other", ["交通运输/公交线路"]),
    ("电信分公司", "other", ["水电气与通信/网络通信"]),
]
# A unit's category list names a first-level class ("城乡建设") or, after a slash, one of its
# second-level classes ("水电气与通信/燃气"): routing prefers the second level (opinions/routing.py).
