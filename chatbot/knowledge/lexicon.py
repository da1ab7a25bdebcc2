"""Word lists, in English and Chinese, that signal what a shopper is asking about.

General shop vocabulary only: nothing here names a product of the demo shops. The English
support words were read off the Bitext *build* split (the test split is for measuring).
English entries are stems as produced by :func:`chatbot.knowledge.text.stem`.
"""

from __future__ import annotations


def _words(text: str) -> list[str]:
    return text.split()


# Words that carry no product meaning in a shopping question. Price, stock and aspect
# words are here too: they steer the answer, they are not what the product is.
EN_STOPWORDS = frozenset(
    _words(
        """
    a an the and or but if of to in on at by for from with without into about as than then
    is are was were be been being am do doe did done have ha had having can could would should
    will shall may might must i me my mine we us our you your yours he she it its they them
    their this that these those there here what which who whom whose when where why how
    any some something anything thing one ones all each every much many more most less least
    very really just also too so not no yes please pls plz thank thanks hi hello hey
    want wanted wanna need needed looking look like lik love find show see get got buy purchase
    sell sold recommend suggest tell know let help give check offer carry stock instock
    price priced pricing cost costs how much expensive cheap cheaper cheapest cheapie budget
    affordable inexpensive dollar dollars buck usd eur gbp yuan rmb cny under below over above
    between around about up upto within max maximum min minimum least most less more
    available availability left inventory currently right now today
    size sizes material made fabric colour color colours colors come option options
    good best nice great new some kind type sort anything item product products stuff store shop
    im id ive whats wheres hows dont doesnt isnt arent cant
    do doe any ani
    """
    )
)

ZH_STOPWORDS = frozenset(
    _words(
        """
    的 了 吗 呢 吧 啊 呀 嘛 哦 哈 我 我们 你 你们 您 他 她 它 们 有 没有 有没有 没
    是 不是 是否 在 和 与 或 或者
    想 想要 要 需要 买 购买 找 找找 一下 请问 请 麻烦 这个 那个 这款 那款 这件 那件
    这 那 哪个 哪些 什么 怎么 怎样
    可以 能 能不能 会 多少 钱 多少钱 价格 价钱 售价 几 元 块 块钱 人民币 美元 以下 以内 以上 之间 左右 到 至
    便宜 便宜点 便宜点儿 便宜的 实惠 贵 最贵 最便宜 一点 点 有货 货 现货 库存 还有
    推荐 给 看看 看 一些 些 个 款 件 双 条 只 套
    好 好的 不错 吗 呀 呗 店 店里 商品 产品 东西 卖 卖不卖 尺码 尺寸 大小 材质 面料 颜色 什么样 哪种 种 类
    谢谢 你好 您好 一 下 就 都 还 也 很 太 更 最 又 再 吗 么
    """
    )
)

# Canonical colour -> words that name it. Catalog and query both get a "colour:<name>"
# term, so "红色" finds "red" spelled either way within one language and "grey" finds "gray".
COLOURS: dict[str, tuple[str, ...]] = {
    "red": ("red", "红", "红色"),
    "blue": ("blue", "蓝", "蓝色"),
    "navy": ("navy", "藏青", "藏蓝", "海军蓝"),
    "green": ("green", "olive", "绿", "绿色", "军绿"),
    "black": ("black", "黑", "黑色"),
    "white": ("white", "白", "白色"),
    "grey": ("grey", "gray", "charcoal", "灰", "灰色"),
    "yellow": ("yellow", "黄", "黄色"),
    "orange": ("orange", "橙", "橙色", "橘色"),
    "pink": ("pink", "粉", "粉色", "粉红"),
    "purple": ("purple", "violet", "紫", "紫色"),
    "brown": ("brown", "tan", "棕", "棕色", "咖啡色", "褐色"),
    "beige": ("beige", "cream", "khaki", "米色", "卡其", "米白"),
    "silver": ("silver", "银", "银色"),
    "gold": ("gold", "golden", "金色"),
}

# What a question about one product is about. English entries match whole words (stems),
# Chinese entries match substrings.
ASPECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "price": (
        ("price", "priced", "cost", "costs", "much", "expensive", "cheap", "discount", "sale"),
        ("多少钱", "价格", "价钱", "售价", "几块", "多钱", "贵不贵", "贵吗", "什么价"),
    ),
    "stock": (
        ("stock", "instock", "available", "availability", "left", "inventory", "sold", "restock"),
        ("有货", "有没有货", "现货", "库存", "还有吗", "缺货", "断货", "卖完", "到货", "还有没有"),
    ),
    "size": (
        ("size", "sizes", "sizing", "fit", "fits", "dimension", "dimensions", "big", "small", "large"),
        ("尺码", "尺寸", "大小", "码数", "多大", "几码", "合身"),
    ),
    "material": (
        ("material", "made", "fabric", "cotton", "leather", "wool", "waterproof", "ingredient"),
        ("材质", "面料", "材料", "什么做的", "成分", "质地", "防水"),
    ),
    "colour": (
        ("colour", "color", "colours", "colors", "shade", "shades"),
        ("颜色", "什么色", "几种色", "配色"),
    ),
    "details": (
        ("detail", "details", "describe", "description", "feature", "features", "spec", "specs", "info"),
        ("详情", "介绍", "参数", "规格", "怎么样", "特点"),
    ),
}

# The shopper points back at something already shown.
EN_REFERENCES = frozenset({"it", "this", "that", "these", "those", "them", "one", "ones", "first", "second"})
ZH_REFERENCES = (
    "这个",
    "那个",
    "这款",
    "那款",
    "它",
    "这件",
    "那件",
    "这双",
    "那双",
    "第一个",
    "第二个",
    "上面",
)

# The shopper points back at several things already shown ("how much are they?").
EN_PLURAL_REFERENCES = frozenset({"they", "them", "these", "those", "ones", "both", "all", "each"})
ZH_PLURAL_REFERENCES = ("这些", "那些", "它们", "这几", "那几", "两个", "几个都", "都")

# Cues that the shopper wants to browse or buy, so "no match" means "we have none"
# rather than "I did not understand".
EN_SHOPPING_CUES = frozenset(
    {
        "buy",
        "purchase",
        "sell",
        "selling",
        "carry",
        "looking",
        "search",
        "find",
        "recommend",
        "suggest",
        "have",
        "any",
        "gift",
        "want",
        "need",
        "show",
        "cheap",
        "cheapest",
        "product",
        "item",
    }
)
ZH_SHOPPING_CUES = (
    "有没有",
    "有卖",
    "卖不卖",
    "想买",
    "要买",
    "买",
    "推荐",
    "找",
    "看看",
    "便宜",
    "有什么",
    "想要",
)

GREETINGS_EN = frozenset(
    {"hi", "hello", "hey", "heya", "hiya", "yo", "morning", "afternoon", "evening", "greetings", "howdy"}
)
GREETINGS_ZH = ("你好", "您好", "哈喽", "嗨", "早上好", "晚上好", "下午好", "在吗", "在不在", "有人吗")
SMALLTALK_EN = frozenset(
    {
        "thank",
        "thanks",
        "thx",
        "ty",
        "cheers",
        "bye",
        "goodbye",
        "ok",
        "okay",
        "great",
        "cool",
        "perfect",
        "awesome",
        "nice",
        "got",
        "see",
        "later",
        "appreciate",
        "appreciated",
    }
)
SMALLTALK_ZH = (
    "谢谢",
    "多谢",
    "感谢",
    "再见",
    "拜拜",
    "好的",
    "好滴",
    "收到",
    "明白",
    "知道了",
    "辛苦",
    "没事了",
)
# Words allowed around a greeting or thanks that do not turn it into a question.
POLITE_FILLER_EN = frozenset(
    {
        "there",
        "you",
        "so",
        "much",
        "very",
        "a",
        "lot",
        "all",
        "good",
        "day",
        "guys",
        "team",
        "again",
        "for",
        "the",
        "help",
        "your",
        "that",
        "s",
        "it",
        "is",
        "was",
        "have",
        "and",
        "bot",
        "assistant",
        "friend",
        "hows",
        "how",
        "are",
        "doing",
        "today",
        "going",
        "i",
        "am",
        "oh",
        "now",
        "great",
        "thats",
        "needed",
        "wanted",
    }
)

# Support topics. Each maps to (strong English stems, weak English stems, Chinese
# substrings). A strong word alone decides the topic; a weak one only when no product
# matches better ("order" is also "I want to order a tent").
SUPPORT_TOPICS: dict[str, tuple[frozenset[str], frozenset[str], tuple[str, ...]]] = {
    "handoff": (
        frozenset(
            {
                "human",
                "agent",
                "representative",
                "rep",
                "operator",
                "staff",
                "employee",
                "manager",
                "supervisor",
                "humans",
                "live",
            }
        ),
        frozenset({"assistant", "talk", "speak", "chat", "somebody", "someone", "person", "people"}),
        (
            "人工",
            "真人",
            "转人工",
            "人工客服",
            "找客服",
            "客服人员",
            "工作人员",
            "经理",
            "真人客服",
            "找个人",
        ),
    ),
    "complaint": (
        frozenset(
            {
                "complaint",
                "complain",
                "complaining",
                "reclamation",
                "claim",
                "dissatisfied",
                "unhappy",
                "unacceptable",
                "terrible",
                "awful",
                "horrible",
                "worst",
                "disappointed",
                "disappointing",
                "furious",
                "angry",
                "upset",
                "scam",
                "ridiculous",
                "disgusting",
                "useless",
                "rude",
            }
        ),
        frozenset({"bad", "problem", "issue", "broken", "damaged", "wrong", "poor"}),
        (
            "投诉",
            "差评",
            "太差",
            "很差",
            "生气",
            "气死",
            "垃圾",
            "骗子",
            "不满意",
            "失望",
            "举报",
            "态度差",
            "坑人",
        ),
    ),
    "order_status": (
        frozenset({"track", "tracking", "eta", "whereabout", "whereabouts", "status"}),
        frozenset({"order", "orders", "purchase", "package", "parcel", "arrived"}),
        (
            "订单",
            "物流",
            "到哪",
            "查单",
            "单号",
            "发货了",
            "快递到",
            "运单",
            "我的包裹",
            "包裹",
            # The shopper's own parcel: "我的快递怎么还没到".
            "我的快递",
            "还没到",
            "还没收到",
        ),
    ),
    "cancel": (
        frozenset({"cancel", "cancellation", "cancelling", "canceling", "cancelled", "canceled", "cance"}),
        frozenset(),
        ("取消订单", "取消", "撤销订单", "不要了"),
    ),
    "refund": (
        frozenset(
            {
                "refund",
                "refunds",
                "reimburse",
                "reimbursement",
                "reimbursements",
                "restitution",
                "compensation",
                "rebate",
                "return",
                "returns",
                "exchange",
                "swap",
                "swapping",
                "moneyback",
            }
        ),
        frozenset({"money", "back"}),
        (
            "退款",
            "退货",
            "退钱",
            "换货",
            "退换",
            "无理由",
            "返还",
            "赔偿",
            "退回",
            "能退",
            "可以退",
            "退吗",
            "退不退",
            "怎么退",
            "换吗",
            "能换",
            "怎么换",
            # "色号不合适想换一个": an exchange is a returns question.
            "想换",
            "换一个",
            "换个",
            "换大",
            "换小",
            "换一下",
        ),
    ),
    "shipping": (
        frozenset(
            {
                "shipping",
                "ship",
                "shipment",
                "deliver",
                "delivery",
                "deliveries",
                "courier",
                "postage",
                "dispatch",
                "freight",
            }
        ),
        frozenset({"arrive", "send", "expect", "long", "soon"}),
        (
            "配送",
            "发货",
            "运费",
            "送货",
            "快递",
            "包邮",
            "邮费",
            "几天到",
            "多久到",
            "多久能到",
            "寄到",
            "送到",
            "顺丰",
        ),
    ),
    "payment": (
        frozenset(
            {
                "payment",
                "payments",
                "pay",
                "paying",
                "paypal",
                "visa",
                "mastercard",
                "amex",
                "credit",
                "debit",
                "installment",
                "installments",
                "checkout",
                "modalities",
            }
        ),
        frozenset({"method", "methods", "card", "cards"}),
        ("付款", "支付", "支付宝", "微信支付", "信用卡", "花呗", "分期", "银行卡", "怎么付", "付钱"),
    ),
    "contact": (
        frozenset(
            {
                "contact",
                "email",
                "phone",
                "hotline",
                "opening",
            }
        ),
        frozenset({"number", "address", "time", "call", "reach", "hours", "support", "service", "customer"}),
        ("联系", "客服电话", "电话", "邮箱", "客服", "营业时间", "工作时间", "联系方式"),
    ),
    "warranty": (
        frozenset({"warranty", "guarantee", "guaranteed", "repair"}),
        frozenset(),
        ("保修", "质保", "保固", "维修"),
    ),
    "size_guide": (
        frozenset({"sizing", "chart"}),
        frozenset(),
        ("尺码表", "尺码指南", "尺码对照"),
    ),
}

# Words a topic adds to the FAQ query, so the shop's own wording of a policy is found
# whatever words the shopper used.
TOPIC_QUERY: dict[str, str] = {
    "shipping": "shipping ship delivery deliver days arrive courier 配送 发货 运费 快递 送货 到货",
    "refund": "return returns refund money back exchange 退货 退款 换货 退换",
    "payment": "payment pay methods card accept 支付 付款 支付宝 微信",
    "contact": "contact email phone hours customer service support reach 联系 客服 电话 邮箱 时间",
    "cancel": "cancel cancellation order 取消 订单",
    "warranty": "warranty guarantee repair 保修 质保",
    "size_guide": "size sizing chart fit 尺码 尺寸",
    "order_status": "order track tracking status 订单 物流 查询",
    "handoff": "contact customer service support 联系 客服",
    "complaint": "contact customer service support 联系 客服",
}

# Facts a shopper asks about one product, beyond price and stock: the question's words
# (English stems / Chinese substrings) and what a description sentence that answers
# looks like (a unit or a telling word). The answer quotes that sentence.
FACT_ASPECTS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "weight": (
        ("heavy", "weigh", "weight", "weighs", "lightweight", "kg", "grams"),
        (
            "多重",
            "重量",
            "几斤",
            "多少斤",
            "多沉",
            "重吗",
            "轻吗",
            "分量",
            "多少克",
            "几克",
            "多少公斤",
            "几公斤",
        ),
        r"\d\s*(?:kg|g|lbs?|oz|克|公斤|千克|斤)\b|weigh|重量|重\d|轻",
    ),
    "battery": (
        ("battery", "batteries", "charge", "charging", "rechargeable", "runtime", "last", "lasts"),
        (
            "续航",
            "电池",
            "能用多久",
            "用多久",
            "多久",
            "充电",
            "充满",
            "待机",
            "多长时间",
            "多少公里",
            "跑多远",
            "骑多远",
        ),
        r"battery|batteries|hours?\b|rechargeable|续航|电池|小时|毫安|mah",
    ),
    "capacity": (
        ("hold", "holds", "capacity", "litre", "litres", "liter", "liters", "volume", "cups"),
        ("容量", "装多少", "能装", "多大容量", "毫升", "多少升", "几毫升", "几升"),
        r"\d\s*(?:l|ml|litres?|liters?|cups?|毫升|升|毫安时)\b|holds|capacity|容量",
    ),
    "care": (
        ("clean", "cleaning", "wash", "washing", "washable", "dishwasher", "care"),
        ("清洗", "洗", "保养", "清洁", "机洗", "手洗"),
        r"wash|clean|dishwasher|dry clean|care|洗|清洁|保养",
    ),
    "setup": (
        ("setup", "assemble", "assembly", "install", "installation", "pitch", "connect", "pair"),
        ("安装", "组装", "搭建", "连接", "配对", "怎么用"),
        r"set[- ]?up|assembl|install|pitch|connect|pair|安装|组装|搭建|连接|配对",
    ),
    "dimensions": (
        ("big", "dimension", "dimensions", "tall", "high", "wide", "width", "length", "measure", "across"),
        ("多大", "尺寸", "多长", "多高", "多宽", "长度"),
        r"\d\s*(?:cm|mm|m|in|inch|inches|\"|x|米|厘米|毫米)\b|\d\s*x\s*\d|across|high|tall|长|宽|高",
    ),
}

# What a need, an occasion or a use usually means in a catalog's own words: a word of the
# shopper's that the catalog does not use also searches for these (weaker than the word
# itself). General shop vocabulary, for any catalog.
NEEDS: dict[str, str] = {
    "cook": "kitchen pan pot bake baking sear cookware",
    "cooking": "kitchen pan pot bake baking sear cookware",
    "chef": "kitchen pan pot knife",
    "bake": "baking oven kitchen",
    "beach": "sun shade uv beach swim pool waterproof sand",
    "sun": "sun shade uv parasol",
    "sunny": "sun shade uv",
    "swim": "swim pool waterproof beach",
    "cold": "warm heat heated insulated wool fleece thermal",
    "chilly": "warm heat heated insulated wool fleece",
    "winter": "warm heat heated insulated wool fleece thermal",
    "freezing": "warm heat heated insulated thermal",
    "warm": "warm heat heated insulated wool fleece",
    "rain": "waterproof rain",
    "wet": "waterproof rain",
    "run": "running runner trail sport",
    "running": "running runner trail sport",
    "runner": "running runner trail sport",
    "jog": "running runner sport",
    "gym": "sport training workout",
    "workout": "sport training workout",
    "sleep": "bed bedding pillow night sleep",
    "bedroom": "bed bedding bedside pillow",
    "read": "reading book light",
    "reading": "reading book light",
    "travel": "travel portable luggage",
    "trip": "travel portable",
    "camp": "camping tent outdoor",
    "camping": "camping tent outdoor",
    "hike": "hiking trail outdoor",
    "garden": "garden gardening outdoor patio",
    "plant": "garden gardening watering",
    "plants": "garden gardening watering",
    "tea": "tea teapot cup",
    "music": "speaker headphone earphone audio",
    "office": "desk office work",
    "baby": "baby kid child",
    "kid": "kid kids child children",
    "kids": "kid kids child children",
    "child": "kid kids child children",
    "children": "kid kids child children",
    "怕冷": "保暖 暖 发热 加热 羊毛 冬天",
    "冷": "保暖 暖 发热 加热 冬天",
    "手冷": "暖手 保暖 发热",
    "冬天": "保暖 暖 发热 冬天",
    "保暖": "保暖 暖 发热 加热",
    "海边": "海边 防水 泳池 沙滩 防晒",
    "沙滩": "海边 防水 沙滩 防晒",
    "游泳": "防水 泳池",
    "下雨": "防水 雨",
    "跑步": "跑步 运动 跑鞋",
    "健身": "运动 健身",
    "睡觉": "睡眠 床 枕头",
    "出差": "旅行 便携",
    "旅行": "旅行 便携",
    "旅游": "旅行 便携",
    "露营": "露营 帐篷 户外",
    "爬山": "登山 徒步 户外",
    "做饭": "厨房 锅",
    "喝茶": "茶 茶具 茶杯",
    "听歌": "耳机 音箱",
    "老人": "老人 长辈 父母",
    "奶奶": "老人 长辈",
    "爷爷": "老人 长辈",
    "外婆": "老人 长辈",
    "外公": "老人 长辈",
    "姥姥": "老人 长辈",
    "爸妈": "父母 长辈 老人",
    "父母": "父母 长辈 老人",
    "长辈": "长辈 老人 父母",
    "女朋友": "女朋友 女生",
    "老婆": "女朋友 女生",
    "孩子": "儿童 孩子 小孩 宝宝",
    "小孩": "儿童 孩子 小孩 宝宝",
    "宝宝": "儿童 孩子 小孩 宝宝 婴儿",
    "儿子": "儿童 孩子 小孩",
    "女儿": "儿童 孩子 小孩",
}

# Who a present is for, and words that say it is a present: they steer the search (a
# catalog may say "a ready present" or "送长辈") but a product need not match them.
RECIPIENT_WORDS = frozenset(
    _words(
        """
    gift gifts present presents mum mom mother dad father parent parents sister brother wife
    husband friend girlfriend boyfriend son daughter kid kids child children grandma granny
    grandmother grandpa grandfather aunt uncle colleague boss teacher partner someone somebody
    who loves love loves likes birthday christmas anniversary
    礼物 送礼 送人 生日 节日 圣诞 过年 奶奶 爷爷 外婆 外公 姥姥 妈妈 爸爸 爸妈 父母 老婆 老公 女朋友
    男朋友 朋友 孩子 长辈 老人 同事 老师 给 送
    """
    )
)
