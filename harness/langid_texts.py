"""Hard language-ID cases written for this project: confusable languages in headlines (HARD_PAIRS)
and in paragraphs (LONG_PAIRS). The unit tests assert on them and ``make bench-langid`` scores
every detector on them."""

HARD_PAIRS = [
    # Malay (Malaysia) and Indonesian
    ("ms", "Kerajaan akan membentangkan bajet baharu di Dewan Rakyat pada minggu hadapan."),
    ("ms", "Polis menahan dua lelaki berhubung kes rompakan di Johor Bahru semalam."),
    ("ms", "Syarikat penerbangan itu membatalkan semua penerbangan kerana ribut."),
    ("ms", "Harga minyak sawit meningkat lima peratus pada dagangan pagi ini."),
    ("ms", "Perdana Menteri berkata rundingan itu akan diteruskan selepas pilihan raya."),
    ("ms", "Bank Negara mengekalkan kadar dasar semalaman pada tiga peratus."),
    ("ms", "Hospital itu memerlukan lebih ramai jururawat untuk wad kecemasan."),
    ("id", "Pemerintah akan mengajukan anggaran baru ke DPR pada pekan depan."),
    ("id", "Polisi menangkap dua pria terkait kasus perampokan di Surabaya kemarin."),
    ("id", "Maskapai itu membatalkan semua penerbangan karena cuaca buruk."),
    ("id", "Harga minyak sawit naik lima persen dalam perdagangan pagi ini."),
    ("id", "Presiden mengatakan perundingan itu akan dilanjutkan setelah pemilu."),
    ("id", "Bank Indonesia mempertahankan suku bunga acuan di level enam persen."),
    ("id", "Rumah sakit itu membutuhkan lebih banyak perawat untuk unit gawat darurat."),
    # Ukrainian, Russian, Bulgarian (two Ukrainian ones without і, ї or є)
    ("uk", "Уряд ухвалив новий закон про податки для малого бізнесу."),
    ("uk", "Уряд ухвалив закон про податки"),
    ("uk", "Завод зупинив роботу через брак сировини."),
    ("uk", "Синоптики попереджають про сильні морози у четвер."),
    ("ru", "Правительство одобрило новый закон о налогах для малого бизнеса."),
    ("ru", "Завод остановил работу из-за нехватки сырья."),
    ("ru", "Синоптики предупреждают о сильных морозах в четверг."),
    ("ru", "Пожар на складе потушили к утру."),
    ("bg", "Правителството одобри нов закон за данъците на малкия бизнес."),
    ("bg", "Заводът спря работа заради липса на суровини."),
    ("bg", "Синоптиците предупреждават за силни студове в четвъртък."),
    ("bg", "Пожарът в склада беше потушен до сутринта."),
    # Chinese and Japanese written mostly or only in kanji
    ("ja", "日銀、大規模金融緩和の継続を決定"),
    ("ja", "東証大引け、日経平均は続落"),
    ("ja", "首相が来月訪米へ"),
    ("ja", "日経平均続落"),  # no kana: 経 and 続 are Japanese forms
    ("zh", "日本央行维持超宽松货币政策"),
    ("zh", "台積電第三季營收創新高"),
    ("zh", "索尼发布新款PlayStation游戏机"),
    ("zh", "东京股市周二收盘下跌"),
    # Persian and Arabic (one Persian line typed with the Arabic yeh and kaf)
    ("fa", "بانک مرکزی نرخ بهره را برای سومین ماه پیاپی ثابت نگه داشت."),
    ("fa", "قیمت طلا در بازار تهران امروز کاهش یافت."),
    ("fa", "دولت بودجه سال آينده را به مجلس تقديم كرد."),
    ("ar", "أبقى البنك المركزي سعر الفائدة دون تغيير للشهر الثالث على التوالي."),
    ("ar", "انخفضت أسعار الذهب في سوق القاهرة اليوم."),
    ("ar", "قدمت الحكومة مشروع الميزانية إلى البرلمان."),
    # Hindi, Marathi, Nepali
    ("hi", "सरकार ने अगले साल के बजट को मंजूरी दे दी है।"),
    ("hi", "रिज़र्व बैंक ने ब्याज दरों में कोई बदलाव नहीं किया।"),
    ("mr", "सरकारने पुढील वर्षाच्या अर्थसंकल्पाला मंजुरी दिली आहे।"),
    ("mr", "मुंबईत मुसळधार पावसामुळे वाहतूक विस्कळीत झाली."),
    ("ne", "सरकारले आगामी वर्षको बजेट स्वीकृत गरेको छ।"),
    ("ne", "नेपाल राष्ट्र बैंकले ब्याजदरमा कुनै परिवर्तन गरेन।"),
    # Spanish, Portuguese, Galician
    ("es", "El Gobierno aprobó ayer los presupuestos para el próximo año."),
    ("es", "El precio de la vivienda sube un cinco por ciento en Galicia."),
    ("pt", "O Governo aprovou ontem o orçamento para o próximo ano."),
    ("pt", "A greve dos camionistas paralisa os portos do norte."),
    ("gl", "O Goberno aprobou onte os orzamentos para o vindeiro ano."),
    ("gl", "A folga dos transportistas paraliza os portos do norte."),
    ("gl", "O prezo da vivenda sobe un cinco por cento en Galicia."),
    ("gl", "A Xunta anuncia novas axudas para o sector do leite."),
    # Norwegian (Bokmal) and Danish
    ("no", "Regjeringen la fram et nytt forslag til statsbudsjett i dag."),
    ("no", "Kraftig snøfall skaper trafikkproblemer på Østlandet."),
    ("no", "Flere hundre ansatte mister jobben etter nedleggelsen."),
    ("da", "Regeringen fremlagde i dag et nyt forslag til finanslov."),
    ("da", "Kraftigt snefald skaber trafikproblemer i Jylland."),
    ("da", "Flere hundrede ansatte mister deres job efter lukningen."),
]

LONG_PAIRS = [
    (
        "ms",
        "Kerajaan Malaysia akan membentangkan bajet baharu minggu hadapan. Menurut kenyataan "
        "pejabat Perdana Menteri, peruntukan untuk hospital dan universiti awam akan dinaikkan "
        "sebanyak lima peratus. Syarikat swasta juga dijangka menerima insentif cukai.",
    ),
    (
        "id",
        "Pemerintah Indonesia akan mengajukan anggaran baru pekan depan. Menurut keterangan "
        "kantor presiden, dana untuk rumah sakit dan universitas negeri akan naik lima persen. "
        "Perusahaan swasta juga diperkirakan mendapat keringanan pajak.",
    ),
    (
        "gl",
        "O Goberno galego presentou onte os orzamentos do vindeiro ano. Segundo a Xunta, o "
        "gasto en sanidade e educación medrará un cinco por cento. Os sindicatos anunciaron "
        "unha folga para o mes que vén porque consideran que non chega.",
    ),
    (
        "da",
        "Regeringen fremlagde i dag sit forslag til næste års finanslov. Ifølge "
        "finansministeren bliver der flere penge til sygehuse og uddannelse. Oppositionen "
        "kalder forslaget utilstrækkeligt og kræver nye forhandlinger efter sommerferien.",
    ),
    (
        "no",
        "Regjeringen la i dag fram sitt forslag til neste års statsbudsjett. Ifølge "
        "finansministeren blir det mer penger til sykehus og utdanning. Opposisjonen kaller "
        "forslaget utilstrekkelig og krever nye forhandlinger etter sommerferien.",
    ),
]
