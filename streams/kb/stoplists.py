"""Common words that are also place names, so they never fire (build time only).

Written for this project. Latin-script matches already need a capital letter, so these lists aim
at words that are capitalised for other reasons: at the start of a sentence, in headline case, as
a person's or a company's name. They name a small place (or a minor-language spelling of a
country) far more rarely than they are used as words. Big places that share a name with a word
(Nice, Split, Bath, Turkey, Chile) are deliberately left out.
"""

from __future__ import annotations

# Stopped whatever the text's language. Keys are language tags only for upkeep.
ALWAYS: dict[str, str] = {
    "en": """
        a about above after again against all along also am an and any are as at away back bad
        be because been before being below best better between big both but buy by came can
        come could day deal did do does done down due during each east end even ever every far
        few first for from further get go goes gold good got great had has have he her here him
        his hit how if in into is it its just last least like long made make man many may me
        might mine more most much must my name never new next no north nor not now of off old on
        once one only or other our out over own part past per put rest right same say see set
        she should side since so some south still such than that the their them then there these
        they this those through time to too top under until up upon very was way we well were
        west what when where which while who why will with would yes yet you young your
        airport alliance amen anthem apex archway auburn badger bake ban bank bar barking barrow
        bat bay bear bell bend big bone bow bra brick brook bush cairns cam can canton
        cascade cat central chair chin clay coast cocoa colon coma commonwealth concord corona
        cove creek crystal date delta dilly dome drama drug eagle east eastern elan
        enterprise equator era eureka evergreen fate federal fleet flora forest fountain
        gap garland gay gene golden grace green grove gulf hail hale hang harmony heaven highland
        highlands hind holiday hook hope horn hub human humble independence jam
        junction keys kin lakes lancing largo laurel leek lens liberal liberty lime limo lion
        lira log loop lop malt man mango marina market marks mars martin mason media mentor
        metro midway mine mission mobile mole moron moss most mustang normal north
        northern oral orange pace panda paradise pearl pen pest pet pin plantation plum
        police pole pool pop port prosper puma queens rapid reading republic
        reservoir retreat rich rogers roman rose roses ruse rye sale salt sandy saga sane savage
        seaside sec sedan shin shine side sin sip sire soul south southern spring springs summit
        sun sunrise sunset superior surprise swallow tank tell temple terrace tequila time
        tip tor trap troy tuba union unity university uptown valley van victor victoria
        vista walker walnut warren waver wedding weir west western wheeling woodland wright
        young zeta march april may june august
    """,
    "fr": """
        au aux avec ce ces cette dans de des du elle en est et il ils je la le les leur lui
        mais mon nous on ou par pas pour qu que qui sa se ses son sur ton tous tout un une vos
        votre bon bonne sens vie gare centre nord sud est ouest ville cite mer porte plaine
        reunion grand grande petit belle beau mont port sainte saint
    """,
    "es": """
        al asi como con cual cuando del el ella ellos en entre era es esa ese esta este hay la
        las lo los mas me mi muy no nos o para pero por que se si sin sobre su sus tambien te
        todo todos tu un una uno unos y ya cada casa ciudad sala salto centro oriente norte sur
        mayo marzo abril junio julio agosto bello bella monte sol paz cruz union victoria
        concordia esperanza libertad palmas santos dolores
    """,
    "pt": """
        ao aos as com da das de do dos e ela ele em entre era essa esse esta este foi isso mais
        mas muito na nas no nos o os ou para pela pelo por que se sem seu sua um uma fala
        cidade centro norte serra boa bom
    """,
    "de": """
        am an auf aus bei bis das dem den der des die du ein eine einem einen er es fur hat ich
        im in ist mit nach nicht noch nur oder sie sind so um und von vor war was wie wir zu zum
        zur dort ende lage mach raum tun weil linden
    """,
    "it": """
        al alla ancora che con da dal dei del della di e gli il in la le lo ma nel nella non per
        piu se si sono su tra tutti un una uno come bene male mari mare sala bella monte
    """,
    "nl": "aan als bij dat de den die een en het in is met niet of om op te van voor wat zijn",
    "id": """
        ada akan atau dan dari dengan di ini itu juga kami kata kota ke oleh pada saat sudah
        tidak untuk yang baru besar bukan raya toko kali sama lama tanah
    """,
    "tr": "bir bu da de ile ve ne saat son yeni kale",
    "vi": "theo trong cho nhung mot cac khi nam",
    # Minor-locale spellings of countries that are words or names in the wire languages.
    "cldr": """
        beni bene biru cadi cado cha duc fas fidi gana gane gres gris ira kana kata kina kine
        kini kuma lati lau male mon nija nipo noru oma pala palo pelu poli poo rus saat sina
        suda suis suna taki tai toki toko viro viti
    """,
    "ar": """
        كان كانت يكون قال قالت من في على الى إلى عن مع هذا هذه ذلك تلك التي الذي الذين هو هي هم
        نحن انا أنا انت أنت لا لم لن ما ماذا متى اين أين كيف لما لكن ثم أو او بل قد لقد حتى كل
        بعض غير بين عند بعد قبل منذ خلال حول ضد دون فوق تحت امام أمام وراء عام يوم شهر سنة
        مدينة المدينة دولة الدولة بلد البلد بلاد قرية منطقة اقليم إقليم محافظة ولاية مقاطعة
        رئيس وزير حكومة مجلس شعب قوم القوم امن أمن الامن سلام حرب جيش قوات نور النور امل أمل
        عين العين باب الباب برج البرج قصر القصر دير سور صور الصور علم العلم خبر الخبر طرف
        الطرف دور الدور خمس ليل الليل سير ميل وجه الوجه بار نيو لاس هند روس جين جار جاد جلي
        هين خفي لوم ريم وين برت كيف هزة ابا أبا بلا البلا عنه منا ادم آدم سان انت
        الجزيرة جزيرة
        جديد جديدة كبير كبيرة الكبير الكبرى اول أول ثاني الثاني اخر آخر اخرى أخرى
        مساء صباح اليوم امس أمس غدا الان الآن هنا هناك جميع كافة اكثر أكثر اقل أقل
        تسوية سوري السوري روسي الروسي تركي التركي ليبي الليبي سويا ميدان الميدان حصار الحصار
        بحري البحري امان أمان معسكر داخلة الداخلة جامعة الجامعة ثورة الثورة بركان وادي الوادي
        حولي مفرق ميادين مساكن سترة شقراء خالص حرير ديدان دخيل جوهر بيان البيان اطار إطار ستون
        نادي النادي دوري الدوري قوله يوما غالي بسيط ديانة كوادر سكين ورود تربة اديان أديان
        انتبه رمادي الرمادي بابا ليمون اوبرا أوبرا اعزاز إعزاز سريا سفيرة متون كروي انسي دينار
        سالم رشيد غازي سهيل منير زبير جاسم عمران جمال نايف اشرف أشرف داود مبارك ماري بندر
    """,
    # Given names that are also towns: in the news they are nearly always a person.
    "names": """
        vladimir владимир فلاديمير steve ستيف jackson eugene tyler irving lawrence carson
        lincoln
    """,
    "ru": """
        без был была были быть в во вот все всё для до его ее её если за и из или их к как
        ко когда кто ли мы на не но о об от по под при про с со так также то того только
        у уже чем что это я час воля тема кофе заря сок тур ром чин ван кут лог лира липа
        сага дали пали мари пал тан тик ман бор мир брод
    """,
    "zh": """
        胜利 来宾 安康 关口 城厢 城关 新城 中心 和平 太平 新区 开发 人民 中华 东方 长安
        安全 金山
    """,
    "ja": "ゴム タイ チリ アバ ワリ",
}

# Stopped only in text of that language (or of unknown language): words there, places elsewhere.
WHEN_LANGUAGE: dict[str, str] = {
    "de": "essen halle bergen kamen siegen singen leer weiden leiden langen morden",
    "pt": "natal",
    "en": "island",
    "nl": "leiden",
}
