# Интерфейс Muse по-русски: те же id и те же переменные, что в en.ftl.

## Повседневные ответы

not-text = Я работаю с текстом — пришли сообщение фаната.
button-expired = Эта кнопка устарела. Отправь /help, чтобы увидеть, что я умею.
request-expired = Этот запрос устарел: доработать можно только последние черновики. Отправь новый /reply, чтобы начать заново.
reset-done = Готово: я забыла наш разговор. Персона и настройки остались.
forget-ask = Это навсегда удалит твою персону, настройки и разговор. Точно удалить?
forget-yes-label = Да, удалить всё
forget-no-label = Нет, оставить
forget-cancelled = Ничего не удалено.
forget-done = Готово: всё, что Muse хранила о тебе, удалено.
forget-failed = Сейчас не получилось удалить данные. Ничего не потеряно; попробуй /forget ещё раз через минуту.
empty-chat = Пришли мне текст или отправь /help, чтобы увидеть, что я умею.
not-available = Эта команда здесь недоступна.
nothing-to-redo = Пока нечего переделывать. Попробуй /reply с сообщением фаната.
writing = ✍️ пишу…
more-label = 🔄 ещё 3
export-here = Вот всё, что Muse хранит о тебе.
export-failed = Сейчас не получилось собрать выгрузку; попробуй ещё раз.
lang-invalid = Это не похоже на код языка. Попробуй /lang en, /lang ru или /lang pt-BR.
went-wrong = У меня что-то пошло не так. Попробуй ещё раз.
slow-down = Ты пишешь быстрее, чем я успеваю. Попробуй снова через { $seconds } с.
too-long = Здесь { $chars } символов; лимит — { $limit }.
unknown-command = Я не знаю команду /{ $name }. Отправь /help, чтобы увидеть, что я умею.
needs-text =
    Добавь текст после команды, например:
    { $example }
queue-notice = ⏳ Сейчас много запросов: ты в очереди к модели, примерно { $seconds } с. Черновики будут следом.
refined = Переписала: { $label }.
copy-label = 📋 { $number }

## /start, /help, настройки

start-title = Привет, я Muse ✨
start-about = Я пишу короткие черновики твоим голосом для фанатов: ответы, флирт, подписи к постам, предложения PPV и рассылки. Ты читаешь каждый черновик и отправляешь его сама.
start-how =
    1. Задай свой голос: /persona name: Мия; voice: игривая, дразнящая
    2. Вставь сообщение фаната после /reply и получи 3 ответа
    3. Нажми на черновик, чтобы скопировать, поправь и отправь
help-title = Что я умею
help-note = Обычные сообщения — это разговор со мной о твоей работе. Для админов: { $commands }.
persona-how = Задай её так: /persona name: Мия; voice: игривая, дразнящая; emoji: some; lowercase: no; boundaries: без лица; facts: любит йогу
persona-line = Персона: { $summary }
persona-saved = Персона сохранена: { $summary }
persona-refused = Не получилось сохранить персону: { $problem }. Ничего не изменилось.
persona-bad-value = у поля { $field } значение должно быть: { $expected }
persona-bad-field = неизвестное поле «{ $field }»; есть name, voice, emoji, lowercase, boundaries и facts
tone-now = Тон: { $tone }. Смени его командой /tone и одним из: { $options }.
tone-set = Тон теперь { $tone }.
tone-unknown = Я не знаю такого тона. Выбери один из: { $options }.
lang-now = Черновики пишутся на «{ $lang }». Смени язык командой /lang с кодом, например /lang es или /lang pt-BR.
lang-set = Черновики будут на «{ $lang }».

## Откуда взялись черновики

note-no-drafts = В ответе модели не было черновиков, поэтому эти — от офлайн-автора.
note-unavailable = Модель сейчас недоступна, поэтому эти черновики — от офлайн-автора.
note-queued = Все места у модели были заняты дольше, чем стоит ждать, поэтому эти черновики — от офлайн-автора.
note-busy = Muse сейчас исчерпала лимит запросов к модели, поэтому эти черновики — от офлайн-автора.
note-unsafe = Черновики модели нарушали правила платформы, поэтому эти, безопасные, — от офлайн-автора.
note-fallback = Основная модель недоступна, поэтому эти черновики написала запасная.
offline-chat-failing = Сейчас я не могу достучаться до модели, так что поболтать не выйдет. Черновики работают: попробуй /reply с сообщением фаната, /flirt для первых сообщений или /caption для поста.
offline-chat-absent = Я работаю без модели, так что поболтать не выйдет. Черновики работают: попробуй /reply с сообщением фаната, /flirt для первых сообщений или /caption для поста.

## Заголовки черновиков

title-reply = { $count ->
    [one] { $count } ответ
    [few] { $count } ответа
   *[many] { $count } ответов
}
title-flirt = { $count ->
    [one] { $count } флирт-сообщение
    [few] { $count } флирт-сообщения
   *[many] { $count } флирт-сообщений
}
title-caption = { $count ->
    [one] { $count } подпись
    [few] { $count } подписи
   *[many] { $count } подписей
}
title-ppv = { $count ->
    [one] { $count } предложение PPV
    [few] { $count } предложения PPV
   *[many] { $count } предложений PPV
}
title-mass = { $count ->
    [one] { $count } сообщение для рассылки
    [few] { $count } сообщения для рассылки
   *[many] { $count } сообщений для рассылки
}
title-chat = { $count ->
    [one] { $count } сообщение
    [few] { $count } сообщения
   *[many] { $count } сообщений
}

## Кнопки доработки

refine-shorter = ✂️ короче
refine-bolder = 🔥 смелее
refine-softer = 🌸 мягче
refine-emoji = 😍 больше эмодзи
refine-tip = 💸 попросить чаевые/PPV
refine-lang = 🌐 на языке фаната

## Меню команд и /help

menu-reply = 3 ответа на сообщение фаната
example-reply = /reply привет, красотка, чем занята вечером?
menu-flirt = 3 флирт-сообщения, можно по поводу
example-flirt = /flirt он только что продлил подписку
menu-caption = 3 подписи к посту
example-caption = /caption закат на пляже, белое бикини
menu-ppv = 3 предложения платного контента (PPV)
example-ppv = /ppv 5-минутное видео в душе $15
menu-mass = 3 сообщения для рассылки, как личные
example-mass = /mass распродажа выходных, скидка 50% на архив
menu-persona = показать или задать персону
example-persona = /persona name: Мия; voice: игривая, дразнящая; emoji: some; lowercase: yes
menu-tone = тон по умолчанию: playful, sweet, bold, classy
example-tone = /tone sweet
menu-lang = язык черновиков и интерфейса
example-lang = /lang en
menu-fan = карточка фаната: заметки, уровень, язык
example-fan = /fan alex любит походы, купил 3 PPV
menu-fans = твои карточки фанатов
example-fans = /fans
menu-voice = твои настоящие сообщения как образцы стиля
example-voice = /voice add ааа хватииит 🙈
menu-reset = забыть разговор
example-reset = /reset
menu-help = все команды с примерами
example-help = /help
menu-start = что делает Muse
example-start = /start
menu-check = какие слова в черновике отметит платформа
example-check = /check давай встретимся попозже
menu-export = всё, что Muse хранит о тебе, файлом
example-export = /export
menu-forget = удалить всё, что Muse хранит о тебе
example-forget = /forget
menu-model = показать или сменить модель
example-model = /model llama-3.3-70b-versatile
menu-models = модели, которые предлагает провайдер
example-models = /models
menu-stats = пользователи, запросы, вызовы модели, счётчики безопасности
example-stats = /stats
menu-health = отчёт о состоянии
example-health = /health
menu-ban = заблокировать пользователя
example-ban = /ban 123456789
menu-unban = разблокировать пользователя
example-unban = /unban 123456789

## Карточки фанатов

fans-usage =
    Карточки фанатов помнят, кому ты пишешь:
    /fan alex любит походы, купил 3 PPV — добавить заметку (создаёт карточку)
    /fan alex — показать карточку
    /fan alex tier whale — new, regular или whale
    /fan alex lang es — язык, на котором он пишет
    /fan pricing new $5-10; whale $40+ — цены PPV по уровням
    /fan alex forget — удалить карточку
    /fans — список карточек
    /reply @alex привет, как дела — черновики, которые его знают
fans-bad-name = Имя фаната — одно слово до 32 латинских или 16 кириллических букв, цифры, _ . или -, например /fan alex или /fan @big_mike.
fans-bad-tier = Уровень — new, regular или whale, например /fan alex tier whale.
fans-bad-pricing = Задай диапазон для каждого уровня, например /fan pricing new $5-10; regular $15-25; whale $40+ (или /fan pricing clear).
fans-no-pricing = Цен пока нет: предложения PPV берут цену, которую ты указала, или обходятся без неё. Задай их так: /fan pricing new $5-10; regular $15-25; whale $40+
fans-pricing-cleared = Цены удалены: предложения PPV берут цену, которую ты указала, или обходятся без неё.
fans-pricing =
    Цены PPV по уровням (для /ppv @имя фаната с этим уровнем):
    { $summary }
fans-none = Карточек фанатов пока нет. Добавь первую: /fan alex любит походы.
fans-needs-message = Вставь его сообщение после имени, например /reply @alex привет, как дела?
fans-store-failed = Сейчас не получилось открыть карточки фанатов; ничего не изменилось. Попробуй ещё раз.
fans-noted = { $notes ->
    [one] Записала в карточку { $name } ({ $notes } заметка).
    [few] Записала в карточку { $name } ({ $notes } заметки).
   *[many] Записала в карточку { $name } ({ $notes } заметок).
}
fans-full = У тебя { $limit } карточек фанатов — больше Muse не хранит. Сначала удали одну: /fan <имя> forget.
fans-unknown = Карточки { $name } нет. Создай её: /fan { $name } и заметка.
fans-forgotten = Карточка { $name } удалена со всем содержимым.
fans-tier-set = Теперь { $name } — фанат уровня { $tier }.
fans-lang-set = { $name } пишет на «{ $lang }»; черновики для него будут на нём же.
fans-list-title = { $count ->
    [one] { $count } карточка фанатов
    [few] { $count } карточки фанатов
   *[many] { $count } карточек фанатов
}
card-tier = Уровень: { $tier }
card-lang = Язык: { $lang }
card-last = Его последнее сообщение: { $text }
card-exchanges = { $count ->
    [one] Запомнен { $count } обмен сообщениями.
    [few] Запомнено { $count } обмена сообщениями.
   *[many] Запомнено { $count } обменов сообщениями.
}

## Голос автора

voice-usage =
    Научи меня своему голосу на сообщениях, которые ты правда отправляла:
    /voice add ааа хватииит 🙈 ты невозможный — добавить (до 20)
    /voice — список
    /voice remove 2 — удалить один
    /voice clear — удалить все
voice-bad-number = Укажи номер, например /voice remove 2 (см. /voice).
voice-none = Образцов голоса пока нет. Добавь сообщение, которое ты правда отправляла: /voice add ааа хватииит 🙈
voice-cleared = Все образцы голоса удалены.
voice-added = Добавлено: { $count } из { $limit } образцов голоса. Черновики будут повторять твоё написание, эмодзи и длину.
voice-full = У тебя { $limit } образцов голоса — больше Muse не хранит. Сначала удали один: /voice remove N.
voice-too-long = В этом образце { $chars } символов; образец голоса может быть до { $limit }.
voice-removed = Образец { $n } удалён.
voice-no-such = Образца { $n } нет; у тебя их { $count }.

## Безопасность: доступ, проверка, /check

admins-only = Только для админов.
not-allowed = Извини, здесь Muse закрыта. Твой id в Telegram — { $user }: отправь его владельцу, если тебе нужен доступ.
injection-refusal = Я не могу работать с этим сообщением: похоже на попытку изменить мои правила. Если это настоящее сообщение фаната, вставь только то, что он написал, или отправь /help.
check-usage = Пришли черновик после команды, например: /check давай встретимся попозже
check-clean = В этом черновике нечего отмечать. ✅
check-title = { $count ->
    [one] Будет отмечено { $count } место
    [few] Будут отмечены { $count } места
   *[many] Будут отмечены { $count } мест
}
check-forbidden = запрещено
check-flagged = отмечается фильтрами
check-line = • «{ $matched }» (символы { $start }–{ $end }): { $term } — { $what }, { $severity } [{ $category }]
check-advice = Перепиши другими словами: платформа запрещает и кодовые слова, и нарочные опечатки.

## Команды админа

model-now = Модель: { $model }. Запасные: { $fallbacks }.
model-none = нет
models-title = { $count ->
    [one] { $count } модель
    [few] { $count } модели
   *[many] { $count } моделей
}
stats-title = Статистика Muse
health-title = Состояние Muse
ban-done = Пользователь { $user } заблокирован.
ban-already = Пользователь { $user } уже был заблокирован.
ban-failed = Не заблокирован: { $problem }.
ban-usage = Пришли числовой id пользователя, например: /ban 123456789
unban-done = Пользователь { $user } разблокирован.
unban-not = Пользователь { $user } не был заблокирован.
unban-usage = Пришли числовой id пользователя, например: /unban 123456789
model-unchanged = { $problem } Модель не изменилась.
model-switched = Модель теперь { $name }. Следующие черновики пишет она.
model-unknown = Модели «{ $name }» нет; модель не изменилась. Доступны: { $models }.

## Терминал

console-welcome =
    Muse в терминале. { $banner }
    Отправь /help, чтобы увидеть команды; выход — Ctrl-D.
console-confirm = Напиши «да» (или yes), чтобы удалить всё; что угодно другое — оставить.
console-bye = Пока.
console-model = Черновики пишет { $model } на { $url }.
console-offline = Офлайн-автор: LLM_API_KEY не задан, черновики берутся из встроенных шаблонов.
