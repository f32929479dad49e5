<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru_RU">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../../app/views/about_dialog.py" line="+60"/>
        <source>Keep a video-recordings store in sync between a local disk and S3-compatible object storage.</source>
        <extracomment>The distributions the app uses at run time (and the bundle carries), in the order shown. The icon set in resources/icons (see its README.md and LICENSE-lucide.txt). pyproject.toml&apos;s description, listed here so lupdate offers it for translation.</extracomment>
        <translation>Синхронизирует хранилище видеозаписей между локальным диском и S3-совместимым объектным хранилищем.</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>see its licence file</source>
        <translation>см. файл лицензии</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Lucide icons</source>
        <translation>Значки Lucide</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>About Leap Sync</source>
        <translation>О программе Leap Sync</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Version {version}</source>
        <translation>Версия {version}</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Leap Sync is free software under the MIT licence. It is built on the components below, each under its own licence; Qt and PySide6 are used under the &lt;a href=&quot;{url}&quot;&gt;GNU LGPL version 3&lt;/a&gt;.</source>
        <translation>Leap Sync — свободная программа под лицензией MIT. Она построена на перечисленных ниже компонентах, у каждого своя лицензия; Qt и PySide6 используются на условиях &lt;a href=&quot;{url}&quot;&gt;GNU LGPL версии 3&lt;/a&gt;.</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>About Qt</source>
        <translation>О Qt</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Component</source>
        <translation>Компонент</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Version</source>
        <translation>Версия</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Licence</source>
        <translation>Лицензия</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Home page</source>
        <translation>Сайт</translation>
    </message>
</context>
<context>
    <name>BackgroundSettingsDialog</name>
    <message>
        <location filename="../../app/views/background_settings.py" line="+221"/>
        <source>Background</source>
        <extracomment>QSettings keys of the bandwidth limits: rate texts (``20Mbit/s``, ``10M``) and a timetable; empty is no limit / no timetable. The units the dialog offers: shown name and the suffix of the stored rate text. ``STORAGE_BWLIMIT_UP``/``DOWN``/``SCHEDULE`` of the settings the app started with; they apply again when the dialog&apos;s limits are all cleared.</extracomment>
        <translation>Фоновая работа</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Start Leap Sync when I log in</source>
        <translation>Запускать Leap Sync при входе в систему</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Keep syncing in the tray when the window is closed</source>
        <translation>Продолжать синхронизацию в трее, когда окно закрыто</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Show desktop notifications</source>
        <translation>Показывать уведомления на рабочем столе</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>This desktop shows no tray icons: closing the window quits Leap Sync.</source>
        <translation>Этот рабочий стол не показывает значки в трее: закрытие окна завершает Leap Sync.</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>No limit</source>
        <translation>Без ограничения</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Bandwidth limits (all transfers together)</source>
        <translation>Ограничение скорости (для всех передач вместе)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Upload:</source>
        <translation>Загрузка:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Download:</source>
        <translation>Скачивание:</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Timetable:</source>
        <translation>Расписание:</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>While a timetable rule covers the time, its rate replaces the limits above. Rates: 512K or 10M (bytes per second), 20Mbit/s, off.</source>
        <translation>Пока действует правило расписания, его скорость заменяет ограничения выше. Скорости: 512K или 10M (байт в секунду), 20Mbit/s, off.</translation>
    </message>
    <message>
        <location line="+53"/>
        <source>The login entry could not be changed: {error}</source>
        <translation>Не удалось изменить запись автозапуска: {error}</translation>
    </message>
</context>
<context>
    <name>BackgroundSync</name>
    <message>
        <location filename="../../app/services/background.py" line="+201"/>
        <source>Background sync of {folder} stopped: {reason}</source>
        <extracomment>Seconds a stopping pair may take to clean up (cancelled copies abort their uploads).</extracomment>
        <translation>Фоновая синхронизация папки {folder} остановлена: {reason}</translation>
    </message>
    <message>
        <location line="+73"/>
        <source>{folder}: {path} failed: {reason}</source>
        <translation>{folder}: ошибка с {path}: {reason}</translation>
    </message>
</context>
<context>
    <name>BandwidthStatus</name>
    <message>
        <location filename="../../app/views/bandwidth_status.py" line="+69"/>
        <source>Upload and download limit {rate} each</source>
        <extracomment>The longest the label waits before it reads the limit again (a suspended laptop, a clock set by hand: the wall clock may jump past a boundary the timer was set for). A timer never fires sooner than this (a boundary reached but not yet seen by the clock).</extracomment>
        <translation>Ограничение загрузки и скачивания: {rate} каждое</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Upload limit {up}, download limit {down}</source>
        <translation>Ограничение загрузки {up}, скачивания {down}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Upload limit {rate}</source>
        <translation>Ограничение загрузки {rate}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Download limit {rate}</source>
        <translation>Ограничение скачивания {rate}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No limit</source>
        <translation>Без ограничения</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{limit} until {time}</source>
        <translation>{limit} до {time}</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Set in Background… (all transfers together)</source>
        <translation>Задаётся в окне «Фон…» (для всех передач вместе)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Timetable: {rule}</source>
        <translation>Расписание: {rule}</translation>
    </message>
</context>
<context>
    <name>ConflictCard</name>
    <message>
        <location filename="../../app/views/sync_dialogs.py" line="+269"/>
        <source>Changed on both sides since the last sync.</source>
        <translation>Изменён с обеих сторон после последней синхронизации.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Different content on the two sides (never synced before).</source>
        <translation>Содержимое на сторонах различается (раньше не синхронизировался).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&lt;b&gt;This computer&lt;/b&gt;</source>
        <translation>&lt;b&gt;Этот компьютер&lt;/b&gt;</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&lt;b&gt;S3 bucket&lt;/b&gt;</source>
        <translation>&lt;b&gt;Бакет S3&lt;/b&gt;</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Keep this computer&apos;s</source>
        <translation>Оставить с компьютера</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Keep the bucket&apos;s</source>
        <translation>Оставить из бакета</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Keep both</source>
        <translation>Оставить оба</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The older version is renamed with a .conflict-… suffix.</source>
        <translation>Более старая версия переименовывается с суффиксом .conflict-….</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>absent</source>
        <translation>нет</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>modified {when} (newer)</source>
        <translation>изменён {when} (новее)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>modified {when}</source>
        <translation>изменён {when}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>audio</source>
        <translation>аудио</translation>
    </message>
</context>
<context>
    <name>ConflictDialog</name>
    <message>
        <location line="+11"/>
        <source>Resolve conflicts</source>
        <translation>Разрешение конфликтов</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>No conflicts: every file that is on both sides agrees.</source>
        <translation>Конфликтов нет: все файлы, что есть с обеих сторон, совпадают.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Nothing is lost whatever you choose: a replaced version goes to the trash (temp/.trash) on its side.</source>
        <translation>Что бы вы ни выбрали, ничего не теряется: заменённая версия попадает в корзину (temp/.trash) на своей стороне.</translation>
    </message>
</context>
<context>
    <name>ConnectionStatus</name>
    <message>
        <location filename="../../app/views/connection_status.py" line="+27"/>
        <source>Connecting…</source>
        <extracomment>Dot colour per state (green, amber, red, grey). English source texts (context &quot;ConnectionStatus&quot;).</extracomment>
        <translation>Подключение…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connected</source>
        <translation>Подключено</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not responding</source>
        <translation>Не отвечает</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Offline</source>
        <translation>Нет связи</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Reconnecting…</source>
        <translation>Повторное подключение…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No bucket</source>
        <translation>Бакет не задан</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>{state} (no answer since {time})</source>
        <translation>{state} (нет ответа с {time})</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{state} (since {time})</source>
        <translation>{state} (с {time})</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Last error: {error}</source>
        <translation>Последняя ошибка: {error}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Click to check the connection now.</source>
        <translation>Нажмите, чтобы проверить соединение сейчас.</translation>
    </message>
</context>
<context>
    <name>ErrorMessages</name>
    <message>
        <location filename="../../app/messages.py" line="+175"/>
        <source>Unexpected error ({name}); the details are in the log.</source>
        <extracomment>In the context it had before this module (its translation exists already).</extracomment>
        <translation>Непредвиденная ошибка ({name}); подробности в журнале.</translation>
    </message>
</context>
<context>
    <name>JobQueue</name>
    <message numerus="yes">
        <location filename="../../app/services/transfers.py" line="+530"/>
        <source>Delete %n files</source>
        <extracomment>The unit of jobs that report a share done (0..100) rather than bytes: media jobs. Limit for a resource nobody configured: one at a time is the safe default. Progress reaches the UI at most this often per job (10 signals/s). No new byte for this long while running: the speed column says &quot;stalled&quot; (F3). A cancelled job whose cleanup is still running after this long is shown as cancelled. How to queue the job again after a restart: ``(op, args)`` for the :class:`QueueStore`. Set on a job brought back from the last session: the note its row shows (kept by retry). Running jobs that Pause holds (counted in RUNNING too). Tasks of cancelled jobs whose cleanup outlived CANCEL_GRACE_SECONDS. Futures that running jobs wait on while the queue is paused.</extracomment>
        <translation>
            <numerusform>Удаление %n файла</numerusform>
            <numerusform>Удаление %n файлов</numerusform>
            <numerusform>Удаление %n файлов</numerusform>
        </translation>
    </message>
    <message>
        <location line="+284"/>
        <source>From the last session: it was running when Leap Sync stopped.</source>
        <translation>Из прошлого сеанса: выполнялось, когда Leap Sync остановился.</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>From the last session: it was waiting when Leap Sync stopped.</source>
        <translation>Из прошлого сеанса: ожидало, когда Leap Sync остановился.</translation>
    </message>
    <message>
        <location line="+141"/>
        <source>unexpected error: {name}</source>
        <translation>непредвиденная ошибка: {name}</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>Skipped because “{title}” failed.</source>
        <translation>Пропущено: задача «{title}» завершилась ошибкой.</translation>
    </message>
</context>
<context>
    <name>LogPanel</name>
    <message>
        <location filename="../../app/views/log_panel.py" line="+18"/>
        <source>Debug</source>
        <extracomment>The level filter&apos;s choices: English source text (shown translated) -&gt; logging level.</extracomment>
        <translation>Отладка</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Info</source>
        <translation>Сведения</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Warning</source>
        <translation>Предупреждения</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Error</source>
        <translation>Ошибки</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>Show:</source>
        <translation>Показывать:</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <location filename="../../app/main.py" line="+146"/>
        <source>No connection is configured yet: open Settings to add your bucket. (The demo needs the SeaweedFS &apos;weed&apos; binary, which this installation does not include.)</source>
        <translation>Подключение ещё не настроено: откройте «Настройки» и добавьте свой бакет. (Для демо нужна программа SeaweedFS «weed», которой нет в этой установке.)</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+48"/>
        <source>No connection</source>
        <translation>Нет подключения</translation>
    </message>
    <message>
        <location line="-58"/>
        <source>Demo sandbox</source>
        <translation>Демо-песочница</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>No connection is configured yet, and the demo could not start ({error}). Open Settings to add your bucket.</source>
        <extracomment>The profile the settings come from (``None``: the demo, the environment, no connection).</extracomment>
        <translation>Подключение ещё не настроено, а демо-режим не запустился ({error}). Откройте «Настройки», чтобы добавить бакет.</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Environment</source>
        <translation>Переменные окружения</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The app started without the saved secret.</source>
        <translation>Приложение запущено без сохранённого секрета.</translation>
    </message>
    <message>
        <location line="+130"/>
        <source>Sample recordings were not created: {error}</source>
        <translation>Примеры записей не созданы: {error}</translation>
    </message>
    <message>
        <location line="+47"/>
        <source>%n of them were running when Leap Sync stopped.</source>
        <translation>%n из них выполнялись, когда Leap Sync остановился.</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Background…</source>
        <translation>Фон…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Start at login, the tray icon and notifications</source>
        <translation>Автозапуск, значок в трее, уведомления и ограничение скорости</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../app/views/main_window.py" line="+69"/>
        <source>1 hour</source>
        <extracomment>Share-link lifetimes: English source text (shown translated) -&gt; seconds.</extracomment>
        <translation>1 час</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>1 day</source>
        <translation>1 день</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>7 days</source>
        <translation>7 дней</translation>
    </message>
    <message>
        <location line="+123"/>
        <location line="+1"/>
        <source>Local store</source>
        <extracomment>The window&apos;s first size, made smaller to fit a smaller screen (see :meth:`fit_to_screen`). Share of the height the Transfers/Log tabs get (until the user drags the splitter)... ... and its bounds in pixels. The side column (preview and quota): share of the width and its bounds. Seconds between two automatic refreshes of one folder (when a catalog disagrees with a tree). Jobs queued per turn of the event loop when a selection holds thousands of files (the window keeps answering while a 10,000-file upload is queued). The pane whose context menu is open: its actions act on that pane&apos;s rows.</extracomment>
        <translation>Локальное хранилище</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+298"/>
        <location line="+3"/>
        <source>S3 bucket</source>
        <translation>Бакет S3</translation>
    </message>
    <message>
        <location line="-225"/>
        <source>Transfers</source>
        <translation>Передачи</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Log</source>
        <translation>Журнал</translation>
    </message>
    <message>
        <location line="+111"/>
        <source>Upload</source>
        <translation>Загрузить</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Upload the selection to the bucket</source>
        <translation>Загрузить выбранное в бакет</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Download</source>
        <translation>Скачать</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Download the selection into the local store</source>
        <translation>Скачать выбранное в локальное хранилище</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+387"/>
        <source>Delete</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <location line="-384"/>
        <source>Delete the selection from the pane that has focus</source>
        <translation>Удалить выбранное в активной панели</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Refresh</source>
        <translation>Обновить</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>List the current folder again</source>
        <translation>Заново прочитать текущую папку</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+395"/>
        <source>Share link</source>
        <translation>Ссылка</translation>
    </message>
    <message>
        <location line="-392"/>
        <source>Copy a time-limited download link to the clipboard</source>
        <translation>Скопировать в буфер обмена временную ссылку на скачивание</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+416"/>
        <source>New recording</source>
        <translation>Новая запись</translation>
    </message>
    <message>
        <location line="-413"/>
        <source>Create a recording folder for a user</source>
        <translation>Создать папку записи для пользователя</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Connections, profiles and the interface language</source>
        <translation>Подключения, профили и язык интерфейса</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>About</source>
        <translation>О программе</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Version, and the licences of the bundled components</source>
        <translation>Версия и лицензии входящих в состав компонентов</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Main toolbar</source>
        <translation>Основная панель</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>no bucket configured</source>
        <translation>бакет не настроен</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{bucket} at {endpoint}</source>
        <translation>{bucket} на {endpoint}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>No bucket configured: open Settings to add a connection.</source>
        <translation>Бакет не настроен: откройте «Настройки», чтобы добавить подключение.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>S3 requests: {requests} · ↑ {uploaded} · ↓ {downloaded}</source>
        <translation>Запросов к S3: {requests} · ↑ {uploaded} · ↓ {downloaded}</translation>
    </message>
    <message>
        <location line="+58"/>
        <source>Listing failed: {message}</source>
        <translation>Не удалось прочитать папку: {message}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Usage of the s3 store: {message}</source>
        <translation>Занятое место в S3: {message}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Usage of the local store: {message}</source>
        <translation>Занятое место в локальном хранилище: {message}</translation>
    </message>
    <message>
        <location line="+130"/>
        <source>No bucket is configured yet: open Settings to add one.</source>
        <translation>Бакет ещё не настроен: добавьте его в «Настройках».</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>Nothing to delete: the selected folders are empty.</source>
        <translation>Удалять нечего: выбранные папки пусты.</translation>
    </message>
    <message numerus="yes">
        <location line="+14"/>
        <source>… and %n more</source>
        <translation>
            <numerusform>… и ещё %n</numerusform>
            <numerusform>… и ещё %n</numerusform>
            <numerusform>… и ещё %n</numerusform>
        </translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Delete files</source>
        <translation>Удаление файлов</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>Delete %n file(s), {size}, from the S3 bucket?</source>
        <translation>
            <numerusform>Удалить %n файл ({size}) из бакета S3?</numerusform>
            <numerusform>Удалить %n файла ({size}) из бакета S3?</numerusform>
            <numerusform>Удалить %n файлов ({size}) из бакета S3?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>Delete %n file(s), {size}, from the local store?</source>
        <translation>
            <numerusform>Удалить %n файл ({size}) из локального хранилища?</numerusform>
            <numerusform>Удалить %n файла ({size}) из локального хранилища?</numerusform>
            <numerusform>Удалить %n файлов ({size}) из локального хранилища?</numerusform>
        </translation>
    </message>
    <message>
        <location line="+24"/>
        <source>Select a file in the S3 pane to share.</source>
        <translation>Выберите файл в панели S3, чтобы поделиться ссылкой.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Link to {path} expires after:</source>
        <translation>Ссылка на {path} действует:</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Link copied to the clipboard; it expires after {lifetime}.</source>
        <translation>Ссылка скопирована в буфер обмена; срок действия — {lifetime}.</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>User and recording ID (user_NNNNNN/recording-id):</source>
        <translation>Пользователь и ID записи (user_NNNNNN/recording-id):</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Created {folder}.</source>
        <translation>Создана папка {folder}.</translation>
    </message>
    <message>
        <location line="+20"/>
        <source>Skipped {problem}</source>
        <translation>Пропущено: {problem}</translation>
    </message>
</context>
<context>
    <name>MediaController</name>
    <message>
        <location filename="../../app/views/media_actions.py" line="+131"/>
        <source>Media info</source>
        <extracomment>What counts as media when a single file is selected (sources, outputs, and the usual rest). Quiet time after the current row changes before the preview loads (arrow keys held down). Size of the thumbnails shown as recording icons in the trees.</extracomment>
        <translation>Сведения о медиа</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Probe the selected video and show its details</source>
        <translation>Проанализировать выбранное видео и показать его параметры</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Make thumbnail</source>
        <translation>Создать миниатюру</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Store a poster frame (10% in) as thumbnail.jpg for each selected recording</source>
        <translation>Сохранить кадр (на 10 % длительности) как thumbnail.jpg для каждой выбранной записи</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Extract audio (M4A)</source>
        <translation>Извлечь звук (M4A)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Store the audio track as audio.m4a (AAC) for each selected recording</source>
        <translation>Сохранить звуковую дорожку как audio.m4a (AAC) для каждой выбранной записи</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Extract audio (MP3)</source>
        <translation>Извлечь звук (MP3)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Store the audio track as audio.mp3 for each selected recording</source>
        <translation>Сохранить звуковую дорожку как audio.mp3 для каждой выбранной записи</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Store video.mp4 (H.264 + AAC, {description})</source>
        <translation>Сохранить video.mp4 (H.264 + AAC, {description})</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>After upload: make thumbnail</source>
        <translation>После загрузки: создать миниатюру</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Queue a thumbnail behind every uploaded recording source</source>
        <translation>Ставить в очередь миниатюру после загрузки каждого исходника записи</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>After upload: extract audio</source>
        <translation>После загрузки: извлечь звук</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Queue an audio extraction behind every uploaded recording source</source>
        <translation>Ставить в очередь извлечение звука после загрузки каждого исходника записи</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+18"/>
        <source>Media</source>
        <translation>Медиа</translation>
    </message>
    <message>
        <location line="-15"/>
        <source>Thumbnails, audio and transcodes of the selected recordings</source>
        <translation>Миниатюры, звук и перекодирование выбранных записей</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Transcode to MP4</source>
        <translation>Перекодировать в MP4</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>No bucket is configured yet: open Settings to add one.</source>
        <translation>Бакет ещё не настроен: добавьте его в «Настройках».</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Select a video, a recording, or a folder of recordings to run media jobs on.</source>
        <translation>Выберите видео, запись или папку с записями, чтобы запустить медиазадачи.</translation>
    </message>
    <message numerus="yes">
        <location line="+9"/>
        <source>Queued “{job}” for %n file(s).</source>
        <translation>
            <numerusform>«{job}»: в очереди %n файл.</numerusform>
            <numerusform>«{job}»: в очереди %n файла.</numerusform>
            <numerusform>«{job}»: в очереди %n файлов.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+62"/>
        <source>Select a video or a recording to see its details.</source>
        <translation>Выберите видео или запись, чтобы увидеть её параметры.</translation>
    </message>
    <message>
        <location line="+81"/>
        <source>Not a recording or a media file.</source>
        <translation>Это не запись и не медиафайл.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Probing {name}…</source>
        <translation>Анализ {name}…</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{name}, {size}, in the S3 bucket</source>
        <translation>{name}, {size}, в бакете S3</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{name}, {size}, in the local store</source>
        <translation>{name}, {size}, в локальном хранилище</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Original name: {name}</source>
        <translation>Исходное имя: {name}</translation>
    </message>
</context>
<context>
    <name>MediaOperation</name>
    <message>
        <location filename="../../app/services/media.py" line="+64"/>
        <source>Thumbnail</source>
        <extracomment>Thumbnails fetched at once (they are small; more would only crowd the connection pool).</extracomment>
        <translation>Миниатюра</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Extract audio ({format})</source>
        <translation>Извлечение звука ({format})</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Transcode {preset}</source>
        <translation>Перекодирование {preset}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Full HD, for the main player</source>
        <extracomment>The presets&apos; descriptions (file_storage keeps them in English) for the menus.</extracomment>
        <translation>Full HD, для основного плеера</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>HD, the usual web rendition</source>
        <translation>HD, обычная версия для веба</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Small, for slow connections</source>
        <translation>Маленькое, для медленного интернета</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep the source&apos;s resolution</source>
        <translation>Разрешение исходника</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>source</source>
        <translation>исходное</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <location filename="../../app/messages.py" line="-109"/>
        <source>The storage operation failed. The details are in the log.</source>
        <extracomment>One sentence per error kind (English source text, shown translated). The most specific class of the exception that is listed here wins, so a new child of a listed class (appended later to file_storage.errors) gets its parent&apos;s sentence.</extracomment>
        <translation>Операция с хранилищем не удалась. Подробности — в журнале.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The settings are incomplete or contradictory. Check them in Settings.</source>
        <translation>Настройки неполны или противоречивы. Проверьте их в «Настройках».</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>This name or path cannot be used in the store.</source>
        <translation>Это имя или путь нельзя использовать в хранилище.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>A value is outside the allowed range.</source>
        <translation>Значение вне допустимого диапазона.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The file was not found: it may have been moved or deleted. Refresh and try again.</source>
        <translation>Файл не найден: возможно, его переместили или удалили. Обновите список и повторите.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The bucket does not exist on this server. Check its name in Settings.</source>
        <translation>Такого бакета на этом сервере нет. Проверьте его имя в «Настройках».</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Access was denied. Check the permissions of the account or the folder.</source>
        <translation>Доступ запрещён. Проверьте права учётной записи или папки.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server did not accept the access key or the secret. Check them in Settings.</source>
        <translation>Сервер не принял ключ доступа или секрет. Проверьте их в «Настройках».</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The storage server cannot be reached. Check the network and the endpoint in Settings.</source>
        <translation>Сервер хранилища недоступен. Проверьте сеть и адрес сервера в «Настройках».</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>The server&apos;s certificate could not be verified. Check the endpoint and the certificate in Settings.</source>
        <translation>Не удалось проверить сертификат сервера. Проверьте адрес и сертификат в «Настройках».</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The server refused the request because this computer&apos;s clock is wrong. Correct the clock and try again.</source>
        <translation>Сервер отклонил запрос: часы этого компьютера идут неверно. Исправьте время и повторите.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The server is busy or unavailable. Try again later.</source>
        <translation>Сервер занят или недоступен. Повторите позже.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>What arrived differs from what was sent, so nothing was kept. Try again.</source>
        <translation>Полученные данные не совпадают с отправленными, поэтому ничего не сохранено. Повторите.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The file changed while it was being transferred, so nothing was kept. Try again once it is complete.</source>
        <translation>Файл изменился во время передачи, поэтому ничего не сохранено. Повторите, когда файл будет готов.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The file in the bucket was replaced during the download. Try again.</source>
        <translation>Файл в бакете был заменён во время скачивания. Повторите.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The local disk is full. Free some space and try again.</source>
        <translation>Локальный диск заполнен. Освободите место и повторите.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>This would take the store over its quota. Delete something or raise the quota in Settings.</source>
        <translation>Это превысит квоту хранилища. Удалите лишнее или увеличьте квоту в «Настройках».</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The store&apos;s usage could not be counted, so nothing is written. Try again when the store answers.</source>
        <translation>Не удалось подсчитать занятое место, поэтому запись не выполняется. Повторите, когда хранилище ответит.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>This store cannot do that.</source>
        <translation>Это хранилище так не умеет.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The sync was stopped because it looks destructive (an empty side or too many deletions). Check the plan.</source>
        <translation>Синхронизация остановлена: она выглядит разрушительной (пустая сторона или слишком много удалений). Проверьте план.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>FFmpeg is missing or cannot run. Install it and try again.</source>
        <translation>FFmpeg не найден или не запускается. Установите его и повторите.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>This file cannot be used for that media job.</source>
        <translation>Этот файл нельзя использовать для такой медиаоперации.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>FFmpeg could not process this file. The details are in the log.</source>
        <translation>FFmpeg не смог обработать этот файл. Подробности — в журнале.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>The system keyring could not be used. The details are in the log.</source>
        <extracomment>Sentences of the credential store&apos;s errors (app.credentials, imported late: keyring).</extracomment>
        <translation>Не удалось воспользоваться системным хранилищем паролей. Подробности — в журнале.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No usable system keyring was found, so the secret cannot be stored.</source>
        <translation>Подходящее системное хранилище паролей не найдено, поэтому секрет не сохранить.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The only keyring available stores secrets unencrypted, so it is not used.</source>
        <translation>Единственное доступное хранилище паролей хранит секреты без шифрования, поэтому оно не используется.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The system keyring is locked. Unlock it and try again.</source>
        <translation>Системное хранилище паролей заблокировано. Разблокируйте его и повторите.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The system keyring refused access. Allow it and try again.</source>
        <translation>Системное хранилище паролей отказало в доступе. Разрешите доступ и повторите.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The profiles file could not be read or written. The details are in the log.</source>
        <extracomment>The profiles file (app.profiles.ProfileStoreError, imported late like the credentials).</extracomment>
        <translation>Не удалось прочитать или записать файл профилей. Подробности в журнале.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{sentence} ({path})</source>
        <translation>{sentence} ({path})</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>The bucket answered in {ms} ms.</source>
        <translation>Бакет ответил за {ms} мс.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The bucket answered.</source>
        <translation>Бакет ответил.</translation>
    </message>
</context>
<context>
    <name>MigrationDialog</name>
    <message>
        <location filename="../../app/views/sync_dialogs.py" line="+23"/>
        <source>Migrate the store</source>
        <translation>Перенос хранилища</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>From this computer to the S3 bucket</source>
        <translation>С этого компьютера в бакет S3</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>From the S3 bucket to this computer</source>
        <translation>Из бакета S3 на этот компьютер</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Delete each original once its copy is verified (frees the source side)</source>
        <translation>Удалять каждый оригинал после проверки копии (освобождает место на исходной стороне)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Press Plan to see what would be copied.</source>
        <translation>Нажмите «План», чтобы увидеть, что будет скопировано.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>User</source>
        <translation>Пользователь</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Files</source>
        <translation>Файлы</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Size</source>
        <translation>Размер</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Progress</source>
        <translation>Ход</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Plan</source>
        <translation>План</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Start</source>
        <translation>Начать</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Copies every file across, verifies each copy, and can be resumed after an interruption without sending again what is already verified.</source>
        <translation>Копирует все файлы на другую сторону, проверяет каждую копию и после прерывания продолжает с того места, где остановился: проверенное повторно не отправляется.</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>{copies} files to copy ({size}), {unchanged} already there and identical, {skipped} skipped.</source>
        <translation>Скопировать файлов: {copies} ({size}); уже на месте и совпадают: {unchanged}; пропущено: {skipped}.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Will not run: {reason}</source>
        <translation>Не будет запущено: {reason}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>These files will not be migrated:</source>
        <translation>Эти файлы не будут перенесены:</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>… and %n more</source>
        <translation>
            <numerusform>… и ещё %n</numerusform>
            <numerusform>… и ещё %n</numerusform>
            <numerusform>… и ещё %n</numerusform>
        </translation>
    </message>
    <message>
        <location line="+25"/>
        <location line="+2"/>
        <source>{done} of {total} files</source>
        <translation>{done} из {total} файлов</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>about {time} left</source>
        <translation>осталось около {time}</translation>
    </message>
</context>
<context>
    <name>NotificationBar</name>
    <message>
        <location filename="../../app/views/notification_bar.py" line="+109"/>
        <source>Dismiss</source>
        <extracomment>Per level: background, text and border colours. Fixed colours, not the palette&apos;s: the banner is light in light and dark themes alike, so its text must not follow a dark theme&apos;s white. A notice (level info) on show disappears after this long. A notice hidden behind a more severe one waits this long in the list before it expires. At most this many notices are kept; the oldest of the least severe go first. The list&apos;s entries are cut at this width (pixels); each has the whole text as tooltip.</extracomment>
        <translation>Закрыть</translation>
    </message>
    <message>
        <location line="+136"/>
        <location line="+73"/>
        <source>{text} (×{count})</source>
        <extracomment>A notice the user picked from the list; shown until dismissed or outranked.</extracomment>
        <translation>{text} (×{count})</translation>
    </message>
    <message>
        <location line="-62"/>
        <source>Dismiss all</source>
        <translation>Закрыть все</translation>
    </message>
    <message numerus="yes">
        <location line="+66"/>
        <source>+%n more</source>
        <translation>
            <numerusform>ещё %n</numerusform>
            <numerusform>ещё %n</numerusform>
            <numerusform>ещё %n</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Show every notice</source>
        <translation>Показать все уведомления</translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message numerus="yes">
        <location filename="../../app/services/notifications.py" line="+111"/>
        <source>{pair}: %n file(s) synced</source>
        <extracomment>Events within this long after the first one share one notification. QSettings key: show notifications (default on). ``show(title, body, level)``; level is ``&quot;info&quot;``, ``&quot;warning&quot;`` or ``&quot;error&quot;``.</extracomment>
        <translation>
            <numerusform>{pair}: синхронизирован %n файл</numerusform>
            <numerusform>{pair}: синхронизировано %n файла</numerusform>
            <numerusform>{pair}: синхронизировано %n файлов</numerusform>
        </translation>
    </message>
    <message>
        <location line="+55"/>
        <source>Transfers finished</source>
        <translation>Передачи завершены</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n file(s) transferred.</source>
        <translation>
            <numerusform>Передан %n файл.</numerusform>
            <numerusform>Передано %n файла.</numerusform>
            <numerusform>Передано %n файлов.</numerusform>
        </translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Storage almost full</source>
        <translation>Хранилище почти заполнено</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The bucket</source>
        <translation>Бакет</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>The local store</source>
        <translation>Локальное хранилище</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{store} is {percent} % full.</source>
        <translation>{store} заполнено на {percent} %.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Conflicts kept both copies</source>
        <translation>При конфликтах сохранены обе копии</translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n conflict(s): both versions were kept.</source>
        <translation>
            <numerusform>%n конфликт: сохранены обе версии.</numerusform>
            <numerusform>%n конфликта: сохранены обе версии.</numerusform>
            <numerusform>%n конфликтов: сохранены обе версии.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n transfer(s) failed</source>
        <translation>
            <numerusform>Не удалась %n передача</numerusform>
            <numerusform>Не удались %n передачи</numerusform>
            <numerusform>Не удались %n передач</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>…and %n more (see the Transfers tab).</source>
        <translation>
            <numerusform>…и ещё %n (см. вкладку «Передачи»).</numerusform>
            <numerusform>…и ещё %n (см. вкладку «Передачи»).</numerusform>
            <numerusform>…и ещё %n (см. вкладку «Передачи»).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PairEditor</name>
    <message>
        <location filename="../../app/views/sync_pairs_dialog.py" line="+62"/>
        <source>Sync pair</source>
        <translation>Пара синхронизации</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Edit sync pair</source>
        <translation>Изменить пару синхронизации</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>users/user_000042/recordings</source>
        <translation>users/user_000042/recordings</translation>
    </message>
    <message>
        <location line="+11"/>
        <source> s</source>
        <translation> с</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Make the thumbnail and audio of uploaded recordings</source>
        <translation>Создавать миниатюру и аудио для загруженных записей</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>On</source>
        <translation>Включена</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Folder in the store:</source>
        <translation>Папка в хранилище:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Direction:</source>
        <translation>Направление:</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Check the bucket:</source>
        <translation>Проверять бакет:</translation>
    </message>
</context>
<context>
    <name>PlanDialog</name>
    <message>
        <location filename="../../app/views/sync_dialogs.py" line="-503"/>
        <source>Upload: copy new and changed files to S3</source>
        <extracomment>Files the migration assistant names as not migratable (the CLI lists them all). Rows listed in the plan table; the counts above it always cover everything. English source texts, shown translated (context &quot;PlanDialog&quot;); see :func:`mode_label`.</extracomment>
        <translation>Загрузка: скопировать новые и изменённые файлы в S3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Download: copy new and changed files from S3</source>
        <translation>Скачивание: скопировать новые и изменённые файлы из S3</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Mirror to S3: make S3 match this computer (deletes in S3)</source>
        <translation>Зеркало в S3: привести S3 к состоянию этого компьютера (с удалением в S3)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Mirror from S3: make this computer match S3 (deletes here)</source>
        <translation>Зеркало из S3: привести этот компьютер к состоянию S3 (с удалением здесь)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Two-way: bring both sides up to date; conflicts keep both</source>
        <translation>В обе стороны: обновить обе стороны; при конфликте сохраняются обе версии</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Upload</source>
        <translation>Загрузка</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Replace in S3</source>
        <translation>Замена в S3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Download</source>
        <translation>Скачивание</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Replace here</source>
        <translation>Замена здесь</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete in S3</source>
        <translation>Удаление в S3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete here</source>
        <translation>Удаление здесь</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep both</source>
        <translation>Оставить оба</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>{count} unchanged</source>
        <translation>без изменений: {count}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{count} skipped</source>
        <translation>пропущено: {count}</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Sync plan</source>
        <translation>План синхронизации</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>&lt;b&gt;Sync {folder}&lt;/b&gt; between this computer and the S3 bucket</source>
        <translation>&lt;b&gt;Синхронизация {folder}&lt;/b&gt; между этим компьютером и бакетом S3</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&lt;b&gt;Sync the whole store&lt;/b&gt; between this computer and the S3 bucket</source>
        <translation>&lt;b&gt;Синхронизация всего хранилища&lt;/b&gt; между этим компьютером и бакетом S3</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>A mirror stops if it would delete more than this share of the files on the target.</source>
        <translation>Зеркалирование останавливается, если пришлось бы удалить больше этой доли файлов на целевой стороне.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Mode</source>
        <translation>Режим</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete at most</source>
        <translation>Удалять не более</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Action</source>
        <translation>Действие</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>File</source>
        <translation>Файл</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Size</source>
        <translation>Размер</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Replaced and deleted files go to the trash in temp/.trash on their side for 30 days.</source>
        <translation>Заменённые и удалённые файлы хранятся 30 дней в корзине temp/.trash на своей стороне.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Run</source>
        <translation>Запустить</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Will not run: {reason}</source>
        <translation>Не будет запущено: {reason}</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Skipped</source>
        <translation>Пропущено</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>… and %n more</source>
        <translation>
            <numerusform>… и ещё %n</numerusform>
            <numerusform>… и ещё %n</numerusform>
            <numerusform>… и ещё %n</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PreviewPane</name>
    <message>
        <location filename="../../app/views/preview_pane.py" line="+27"/>
        <source>Select a recording or a video to see its thumbnail and details.</source>
        <translation>Выберите запись или видео, чтобы увидеть миниатюру и параметры.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>No thumbnail yet.
Right-click the recording: Media → Make thumbnail.</source>
        <translation>Миниатюры пока нет.
Щёлкните запись правой кнопкой: Медиа → Создать миниатюру.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Duration</source>
        <extracomment>The info rows, in order: (object name suffix, label shown translated).</extracomment>
        <translation>Длительность</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Resolution</source>
        <translation>Разрешение</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Video</source>
        <translation>Видео</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Audio</source>
        <translation>Звук</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Bit rate</source>
        <translation>Битрейт</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Container</source>
        <translation>Контейнер</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Size</source>
        <translation>Размер</translation>
    </message>
    <message>
        <location line="+18"/>
        <location line="+62"/>
        <source>Preview</source>
        <extracomment>The picture&apos;s smallest height; it takes whatever height the pane has beyond that.</extracomment>
        <translation>Просмотр</translation>
    </message>
    <message>
        <location line="+23"/>
        <source> at {fps} fps</source>
        <translation>, {fps} кадр/с</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>none</source>
        <translation>нет</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{rate} kb/s</source>
        <translation>{rate} кбит/с</translation>
    </message>
</context>
<context>
    <name>QuotaBar</name>
    <message>
        <location filename="../../app/views/quota_panel.py" line="+67"/>
        <source>counting…</source>
        <extracomment>The per-user chart&apos;s smallest height (it takes the column&apos;s spare height beyond that).</extracomment>
        <translation>подсчёт…</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>{title}: {used} of {limit}</source>
        <translation>{title}: {used} из {limit}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>no quota</source>
        <translation>без квоты</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{title}: {used} (no quota)</source>
        <translation>{title}: {used} (без квоты)</translation>
    </message>
</context>
<context>
    <name>QuotaPanel</name>
    <message>
        <location line="-55"/>
        <source>S3</source>
        <translation>S3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Local</source>
        <translation>Локально</translation>
    </message>
    <message>
        <location line="+70"/>
        <source>S3 bucket</source>
        <translation>Бакет S3</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Local store</source>
        <translation>Локальное хранилище</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Usage per user</source>
        <translation>Место по пользователям</translation>
    </message>
    <message>
        <location line="+55"/>
        <source>GiB</source>
        <translation>ГиБ</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>MiB</source>
        <translation>МиБ</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>KiB</source>
        <translation>КиБ</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../app/views/settings_dialog.py" line="+87"/>
        <source>The access key ID or secret access key is wrong: the server does not accept them.</source>
        <extracomment>What a failed check means, by :attr:`StorageError.kind`, in words a content manager reads. (English source texts; shown translated in the &quot;SettingsDialog&quot; context.)</extracomment>
        <translation>Неверный идентификатор ключа доступа или секретный ключ: сервер их не принимает.</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Access denied: the access key ID or secret access key is wrong, or this key may not list the bucket.</source>
        <translation>Доступ запрещён: неверный идентификатор ключа доступа или секретный ключ, либо этому ключу нельзя читать список объектов бакета.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The bucket does not exist at this endpoint: check the bucket name.</source>
        <translation>На этом адресе нет такого бакета: проверьте имя бакета.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cannot reach the server: check the endpoint URL and your network.</source>
        <translation>Сервер недоступен: проверьте адрес (endpoint URL) и сеть.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The server&apos;s certificate could not be verified (self-signed or private CA?).</source>
        <translation>Не удалось проверить сертификат сервера (самоподписанный или частный центр сертификации?).</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>This computer&apos;s clock is off, so the server refuses every request: turn on automatic date and time.</source>
        <translation>Часы этого компьютера идут неверно, поэтому сервер отклоняет все запросы: включите автоматическую настройку даты и времени.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The server is busy or unavailable right now: try again later.</source>
        <translation>Сервер сейчас занят или недоступен: попробуйте позже.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The settings are incomplete or contradictory.</source>
        <translation>Настройки неполны или противоречивы.</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>no system keyring is available</source>
        <extracomment>The short reason under the secret field; the full guidance goes to the status line.</extracomment>
        <translation>системное хранилище ключей недоступно</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no secure system keyring is available</source>
        <translation>нет безопасного системного хранилища ключей</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>the keyring is locked</source>
        <translation>хранилище ключей заблокировано</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the keyring refused access</source>
        <translation>хранилище ключей отказало в доступе</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+233"/>
        <source>Name</source>
        <translation>Имя</translation>
    </message>
    <message>
        <location line="-232"/>
        <location line="+236"/>
        <source>Endpoint URL</source>
        <translation>Адрес (endpoint URL)</translation>
    </message>
    <message>
        <location line="-235"/>
        <location line="+238"/>
        <source>Region</source>
        <translation>Регион</translation>
    </message>
    <message>
        <location line="-237"/>
        <location line="+238"/>
        <source>Bucket</source>
        <translation>Бакет</translation>
    </message>
    <message>
        <location line="-237"/>
        <location line="+238"/>
        <source>Prefix</source>
        <translation>Префикс</translation>
    </message>
    <message>
        <location line="-237"/>
        <location line="+238"/>
        <source>Access key ID</source>
        <translation>Идентификатор ключа доступа</translation>
    </message>
    <message>
        <location line="-237"/>
        <location line="+263"/>
        <source>Bucket quota</source>
        <translation>Квота бакета</translation>
    </message>
    <message>
        <location line="-262"/>
        <location line="+697"/>
        <source>Local store folder</source>
        <translation>Папка локального хранилища</translation>
    </message>
    <message>
        <location line="-696"/>
        <location line="+275"/>
        <source>Local quota</source>
        <translation>Локальная квота</translation>
    </message>
    <message>
        <location line="-270"/>
        <source>System default</source>
        <extracomment>The interface languages offered: (label, QSettings value). A language is named in itself.</extracomment>
        <translation>Как в системе</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Connection works. {detail}</source>
        <translation>Подключение работает. {detail}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The connection test failed.</source>
        <translation>Проверка подключения не удалась.</translation>
    </message>
    <message>
        <location line="+2"/>
        <location line="+793"/>
        <source>{sentence}
Details: {detail}</source>
        <translation>{sentence}
Подробности: {detail}</translation>
    </message>
    <message>
        <location line="-774"/>
        <source>Settings</source>
        <translation>Настройки</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Please fix the environment or .env: {problems}</source>
        <translation>Исправьте переменные окружения или .env: {problems}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Please fix the form: {problems}</source>
        <translation>Исправьте поля формы: {problems}</translation>
    </message>
    <message>
        <location line="+45"/>
        <source>Leap Sync settings</source>
        <translation>Настройки Leap Sync</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>&lt;b&gt;Profiles&lt;/b&gt;</source>
        <translation>&lt;b&gt;Профили&lt;/b&gt;</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Add</source>
        <translation>Добавить</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Duplicate</source>
        <translation>Копировать</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Remove</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Use this profile</source>
        <translation>Использовать этот профиль</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Language</source>
        <translation>Язык</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>The new language takes effect after a restart.</source>
        <translation>Новый язык будет применён после перезапуска.</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Test connection</source>
        <translation>Проверить подключение</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Use it for this session only</source>
        <translation>Использовать только в этом сеансе</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Connect with the typed secret until Leap Sync quits, without storing it anywhere. After a restart the previous connection is used again.</source>
        <translation>Подключиться с введённым секретом до выхода из Leap Sync, нигде его не сохраняя. После перезапуска снова используется прежнее подключение.</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Save</source>
        <translation>Сохранить</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Close</source>
        <translation>Закрыть</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>S3 connection</source>
        <translation>Подключение к S3</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Lectures bucket</source>
        <translation>Бакет лекций</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Empty for AWS S3; e.g. https://minio.example.org</source>
        <translation>Пусто для AWS S3; например, https://minio.example.org</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Secret access key</source>
        <translation>Секретный ключ доступа</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Addressing</source>
        <translation>Адресация</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Automatic (path-style for custom endpoints)</source>
        <translation>Автоматически (path-style для своих серверов)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Path-style (endpoint/bucket)</source>
        <translation>Path-style (адрес/бакет)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Virtual-hosted (bucket.endpoint)</source>
        <translation>Virtual-hosted (бакет.адрес)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Default (when required on custom endpoints)</source>
        <translation>По умолчанию (только когда требуется, для своих серверов)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>When supported</source>
        <translation>Когда поддерживается</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>When required</source>
        <translation>Когда требуется</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Request checksums</source>
        <translation>Контрольные суммы запросов</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Response checksums</source>
        <translation>Контрольные суммы ответов</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Local store</source>
        <translation>Локальное хранилище</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Folder that holds the recordings</source>
        <translation>Папка с записями</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Browse…</source>
        <translation>Обзор…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Folder</source>
        <translation>Папка</translation>
    </message>
    <message>
        <location line="+46"/>
        <source> GB</source>
        <translation> ГБ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>No quota</source>
        <translation>Без квоты</translation>
    </message>
    <message>
        <location line="+18"/>
        <source> (in use)</source>
        <translation> (используется)</translation>
    </message>
    <message>
        <location line="+114"/>
        <source>the keyring cannot be used</source>
        <translation>хранилище ключей нельзя использовать</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cannot be saved: {reason}.</source>
        <translation>Нельзя сохранить: {reason}.</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Not saved until the keyring works</source>
        <translation>Не сохраняется, пока не заработает хранилище ключей</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>the system keyring</source>
        <translation>системная связка ключей</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Stored in {keyring}, never in a file.</source>
        <translation>Хранится в {keyring}, никогда не в файле.</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Saved in the keyring; type to replace</source>
        <translation>Сохранён в хранилище ключей; введите, чтобы заменить</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Not set</source>
        <translation>Не задан</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Set in the environment or .env, and used instead of this profile: {names}.</source>
        <translation>Заданы в окружении или .env и используются вместо этого профиля: {names}.</translation>
    </message>
    <message>
        <location line="+62"/>
        <source>Something went wrong: {error}</source>
        <translation>Что-то пошло не так: {error}</translation>
    </message>
    <message>
        <location line="+42"/>
        <source>New profile</source>
        <translation>Новый профиль</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{name} (copy)</source>
        <translation>{name} (копия)</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Added “{name}”.</source>
        <translation>Добавлен профиль «{name}».</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>The copy was made without its secret: {error}</source>
        <translation>Копия создана без секрета: {error}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Remove the profile “{name}”?</source>
        <translation>Удалить профиль «{name}»?</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Its secret is deleted from {keyring}.</source>
        <translation>Его секрет будет удалён из {keyring}.</translation>
    </message>
    <message>
        <location line="+29"/>
        <source>Removed “{name}”, but its secret is still stored: {error}</source>
        <translation>Профиль «{name}» удалён, но его секрет всё ещё хранится: {error}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Removed “{name}”.</source>
        <translation>Профиль «{name}» удалён.</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Leap Sync now uses “{name}”.</source>
        <translation>Leap Sync теперь использует «{name}».</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>The profile was not saved: {error}</source>
        <translation>Профиль не сохранён: {error}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Saved “{name}” without its secret. {error}</source>
        <translation>Профиль «{name}» сохранён без секрета. {error}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Saved “{name}”.</source>
        <translation>Профиль «{name}» сохранён.</translation>
    </message>
    <message>
        <location line="+36"/>
        <source>Testing the connection…</source>
        <translation>Проверка подключения…</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>The test failed unexpectedly: {error}</source>
        <translation>Проверка неожиданно завершилась ошибкой: {error}</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>The secret could not be read from the keyring. {error}</source>
        <translation>Не удалось прочитать секрет из хранилища ключей. {error}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Enter a bucket name to test the connection.</source>
        <translation>Введите имя бакета, чтобы проверить подключение.</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Discard the unsaved changes to this profile?</source>
        <translation>Отменить несохранённые изменения профиля?</translation>
    </message>
</context>
<context>
    <name>SettingsFlow</name>
    <message>
        <location filename="../../app/settings_flow.py" line="+179"/>
        <source>Leap Sync now uses “{name}”: {where}.</source>
        <extracomment>Seconds the new bucket gets to answer before the switch is given up. ``() -&gt; (settings, label)`` of what the app runs without a profile (the demo, say). The profile the running workspace was built from (``None``: the default). Secrets the keyring could not keep, used until the app quits (memory only).</extracomment>
        <translation>Leap Sync теперь использует «{name}»: {where}.</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no bucket</source>
        <translation>бакет не задан</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Its secret is kept only until Leap Sync quits; after a restart “{default}” is used again until the keyring can store the secret.</source>
        <translation>Его секрет хранится только до выхода из Leap Sync; после перезапуска снова используется «{default}», пока хранилище паролей не сможет сохранить секрет.</translation>
    </message>
    <message>
        <location line="+25"/>
        <source>its secret could not be read from the keyring ({error})</source>
        <translation>его секрет не удалось прочитать из хранилища паролей ({error})</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+9"/>
        <source>it names no bucket</source>
        <translation>в нём не указан бакет</translation>
    </message>
    <message>
        <location line="-6"/>
        <source>its secret access key is not stored (the keyring could not keep it)</source>
        <translation>его секретный ключ не сохранён (хранилище паролей не смогло его принять)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>the bucket did not answer within {seconds} s</source>
        <translation>бакет не ответил за {seconds} с</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>“{name}” is not in use: {problem}. Leap Sync keeps using “{current}”.</source>
        <translation>«{name}» не используется: {problem}. Leap Sync продолжает использовать «{current}».</translation>
    </message>
</context>
<context>
    <name>StorageTreeModel</name>
    <message>
        <location filename="../../app/models/storage_tree.py" line="+58"/>
        <source>Name</source>
        <extracomment>Drag payload between panes: JSON ``{&quot;side&quot;: &quot;local&quot;|&quot;s3&quot;, &quot;paths&quot;: [...]}``. ``source_side`` of :attr:`StorageTreeModel.dropRequested` for files dropped from the OS. Column headers (English source texts; shown translated, see ``headerData``).</extracomment>
        <translation>Имя</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Size</source>
        <translation>Размер</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Modified</source>
        <translation>Изменён</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Loading…</source>
        <extracomment>Raw values for sorting (numbers and timestamps), so &quot;9 KiB&quot; never sorts after &quot;10 MiB&quot;. The storage-relative path of a row (``&quot;&quot;`` for the root). The row&apos;s :class:`NodeKind` value as a string. The row&apos;s :class:`Presence` value as a string.</extracomment>
        <translation>Загрузка…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed to load</source>
        <translation>Ошибка чтения</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Not responding — Retry</source>
        <translation>Не отвечает — повторить</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Could not list — Retry</source>
        <translation>Не удалось прочитать — повторить</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Double-click or press Enter to list again.</source>
        <translation>Дважды щёлкните или нажмите Enter, чтобы прочитать снова.</translation>
    </message>
    <message>
        <location line="+36"/>
        <location line="+40"/>
        <location line="+1"/>
        <source>Local only</source>
        <extracomment>Root folders of the layout that are not content (PRODUCT.md: &quot;temp/ ... never synced&quot;). The row in a folder whose listing failed: activating it lists the folder again. Its path is the folder&apos;s; it is neither selectable nor dragged.</extracomment>
        <translation>Только локально</translation>
    </message>
    <message>
        <location line="-40"/>
        <location line="+43"/>
        <location line="+1"/>
        <source>S3 only</source>
        <translation>Только в S3</translation>
    </message>
    <message>
        <location line="-43"/>
        <source>On both</source>
        <translation>С обеих сторон</translation>
    </message>
    <message>
        <location line="+18"/>
        <location line="+1"/>
        <location line="+35"/>
        <location line="+1"/>
        <source>Identical</source>
        <extracomment>The last comparison&apos;s verdict per path: a :class:`~file_storage.sync.FileState` value for files, or one of these for folders (the worst state of the files below them). The row&apos;s comparison state (a FileState value or a folder state), or ``None``. Status text per comparison state, on the local tree and on the bucket tree (English source texts; the model translates them once, when it is built).</extracomment>
        <translation>Совпадает</translation>
    </message>
    <message>
        <location line="-33"/>
        <location line="+1"/>
        <location line="+35"/>
        <location line="+1"/>
        <source>Differs</source>
        <translation>Отличается</translation>
    </message>
    <message>
        <location line="-33"/>
        <location line="+5"/>
        <source>Changed here</source>
        <translation>Изменён здесь</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>Changed locally</source>
        <translation>Изменён локально</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Changed in S3</source>
        <translation>Изменён в S3</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+1"/>
        <source>Conflict</source>
        <translation>Конфликт</translation>
    </message>
    <message>
        <location line="+11"/>
        <location line="+5"/>
        <source>Deleted here</source>
        <translation>Удалён здесь</translation>
    </message>
    <message>
        <location line="-4"/>
        <source>Deleted locally</source>
        <translation>Удалён локально</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Deleted in S3</source>
        <translation>Удалён в S3</translation>
    </message>
    <message>
        <location line="+12"/>
        <location line="+1"/>
        <source>Conflicts</source>
        <translation>Конфликты</translation>
    </message>
    <message>
        <location line="+375"/>
        <source>{size} bytes, modified {modified}</source>
        <extracomment>Which badge (an icon name the window provides) each state gets. Looked up once: an enum member read through its class costs a descriptor call, and flags() and data() run for every row each time a view lays out an open folder.</extracomment>
        <translation>{size} байт, изменён {modified}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Recording total {size} bytes</source>
        <translation>Всего в записи {size} байт</translation>
    </message>
</context>
<context>
    <name>SyncController</name>
    <message>
        <location filename="../../app/views/sync_actions.py" line="+48"/>
        <source>{count} identical</source>
        <extracomment>How the comparison notice counts each state: English source texts, shown translated.</extracomment>
        <translation>совпадают: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} differ</source>
        <translation>различаются: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} changed here</source>
        <translation>изменены здесь: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} changed in S3</source>
        <translation>изменены в S3: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} in conflict</source>
        <translation>в конфликте: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} only here</source>
        <translation>только здесь: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} only in S3</source>
        <translation>только в S3: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} deleted here</source>
        <translation>удалены здесь: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} deleted in S3</source>
        <translation>удалены в S3: {count}</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>no files on either side</source>
        <translation>файлов нет ни с одной стороны</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Compared {folder}: {found}</source>
        <translation>Сравнение {folder}: {found}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Compared the whole store: {found}</source>
        <translation>Сравнение всего хранилища: {found}</translation>
    </message>
    <message numerus="yes">
        <location line="+5"/>
        <source>%n name(s) skipped (not safe on this computer)</source>
        <translation>
            <numerusform>пропущено %n имя (небезопасно на этом компьютере)</numerusform>
            <numerusform>пропущено %n имени (небезопасны на этом компьютере)</numerusform>
            <numerusform>пропущено %n имён (небезопасны на этом компьютере)</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{seconds} s</source>
        <translation>{seconds} с</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Compare</source>
        <translation>Сравнить</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Compare the selected folder on both sides by content</source>
        <translation>Сравнить выбранную папку на обеих сторонах по содержимому</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Sync…</source>
        <translation>Синхронизировать…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Show what a sync of the selected folder would do, then run it</source>
        <translation>Показать, что сделает синхронизация выбранной папки, и запустить её</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Resolve conflicts…</source>
        <translation>Конфликты…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Decide, file by file, which version of the files that differ to keep</source>
        <translation>Решить для каждого различающегося файла, какую версию оставить</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Migrate…</source>
        <translation>Перенести…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Copy the whole store to the bucket (or back), resumably, with a report</source>
        <translation>Скопировать всё хранилище в бакет (или обратно) с докачкой и отчётом</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>No bucket is configured yet: open Settings to add one.</source>
        <translation>Бакет ещё не настроен: добавьте его в «Настройках».</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Comparing {folder}…</source>
        <translation>Сравнение {folder}…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Comparing the whole store…</source>
        <translation>Сравнение всего хранилища…</translation>
    </message>
    <message numerus="yes">
        <location line="+43"/>
        <source>%n step(s)</source>
        <translation>
            <numerusform>%n шаг</numerusform>
            <numerusform>%n шага</numerusform>
            <numerusform>%n шагов</numerusform>
        </translation>
    </message>
    <message>
        <location line="+1"/>
        <source>the whole store</source>
        <translation>всё хранилище</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Syncing {folder}: {steps}, {size} to copy; follow them in Transfers.</source>
        <translation>Синхронизация {folder}: {steps}, к копированию {size}; ход — на вкладке «Передачи».</translation>
    </message>
    <message numerus="yes">
        <location line="+8"/>
        <source>%n failure(s)</source>
        <translation>
            <numerusform>%n ошибкой</numerusform>
            <numerusform>%n ошибками</numerusform>
            <numerusform>%n ошибками</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n step(s) done</source>
        <translation>
            <numerusform>%n шагом выполненным</numerusform>
            <numerusform>%n выполненными шагами</numerusform>
            <numerusform>%n выполненными шагами</numerusform>
        </translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Sync finished with {failures} and {done}. First failure: {first}</source>
        <translation>Синхронизация завершена с {failures} и {done}. Первая ошибка: {first}</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>%n conflict(s) kept both</source>
        <translation>
            <numerusform>в %n конфликте сохранены обе версии</numerusform>
            <numerusform>в %n конфликтах сохранены обе версии</numerusform>
            <numerusform>в %n конфликтах сохранены обе версии</numerusform>
        </translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Sync done: {copied} copied ({size}), {deleted} deleted (to the trash)</source>
        <translation>Синхронизация выполнена: скопировано {copied} ({size}), удалено {deleted} (в корзину)</translation>
    </message>
    <message numerus="yes">
        <location line="+13"/>
        <source>%n file(s) saved but NOT verified, e.g. {path}: {reason}</source>
        <translation>
            <numerusform>%n файл сохранён, но НЕ проверен, например {path}: {reason}</numerusform>
            <numerusform>%n файла сохранены, но НЕ проверены, например {path}: {reason}</numerusform>
            <numerusform>%n файлов сохранены, но НЕ проверены, например {path}: {reason}</numerusform>
        </translation>
    </message>
    <message>
        <location line="+71"/>
        <source>Kept this computer&apos;s version</source>
        <translation>Оставлена версия с компьютера</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Kept the bucket&apos;s version</source>
        <translation>Оставлена версия из бакета</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Kept both versions</source>
        <translation>Оставлены обе версии</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Working…</source>
        <translation>Выполняется…</translation>
    </message>
    <message>
        <location line="+6"/>
        <location line="+4"/>
        <source>Failed: {error}</source>
        <translation>Ошибка: {error}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Kept both versions; the older one is now {name}.</source>
        <translation>Сохранены обе версии; более старая теперь называется {name}.</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>(shared)</source>
        <translation>(общее)</translation>
    </message>
    <message>
        <location line="+32"/>
        <source>Done in {seconds} s: {copied} copied ({size}), {present} already there, {skipped} skipped, {failed} failed</source>
        <translation>Готово за {seconds} с: скопировано {copied} ({size}), уже на месте {present}, пропущено {skipped}, с ошибкой {failed}</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{count} originals deleted</source>
        <translation>удалено оригиналов: {count}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>First failure: {error}</source>
        <translation>Первая ошибка: {error}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Start again to retry: what is already verified is not sent again.</source>
        <translation>Запустите снова, чтобы повторить: уже проверенное повторно не отправляется.</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Migration: {result}</source>
        <translation>Перенос: {result}</translation>
    </message>
</context>
<context>
    <name>SyncPairsDialog</name>
    <message>
        <location filename="../../app/views/sync_pairs_dialog.py" line="-52"/>
        <source>Upload only</source>
        <translation>Только загрузка</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Two-way</source>
        <translation>В обе стороны</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Download only</source>
        <translation>Только скачивание</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>every {n} min</source>
        <translation>каждые {n} мин</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>every {n} s</source>
        <translation>каждые {n} с</translation>
    </message>
    <message>
        <location line="+79"/>
        <source>Sync pairs</source>
        <translation>Пары синхронизации</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>These folders sync by themselves while Leap Sync runs: new and changed files as soon as they are complete, changes in the bucket at each check.</source>
        <translation>Эти папки синхронизируются сами, пока работает Leap Sync: новые и изменённые файлы — как только они дописаны, изменения в бакете — при каждой проверке.</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Folder</source>
        <translation>Папка</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Direction</source>
        <translation>Направление</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Bucket check</source>
        <translation>Проверка бакета</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Add…</source>
        <translation>Добавить…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Edit…</source>
        <translation>Изменить…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Remove</source>
        <translation>Удалить</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>On</source>
        <translation>Включена</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Off</source>
        <translation>Выключена</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>, thumbnail and audio after upload</source>
        <translation>, миниатюра и аудио после загрузки</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>Sync pairs…</source>
        <translation>Пары синхронизации…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Choose the folders that sync by themselves in the background</source>
        <translation>Выберите папки, которые синхронизируются сами в фоне</translation>
    </message>
</context>
<context>
    <name>SyncService</name>
    <message>
        <location filename="../../app/services/sync.py" line="+63"/>
        <source>This computer&apos;s store</source>
        <extracomment>The queue&apos;s direction column for each kind of step. The choices a conflict card offers. ``side -&gt; (used bytes, limit or None)``: what a store holds against its quota. The store names in the quota sentences (English source texts, context &quot;SyncService&quot;).</extracomment>
        <translation>Хранилище этого компьютера</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>The S3 bucket</source>
        <translation>Бакет S3</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>{store} has {free} free of its {quota} quota, but this needs {needed}.</source>
        <translation>{store}: свободно {free} из квоты {quota}, а нужно {needed}.</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Free some space or raise the quota in Settings, then plan again.</source>
        <translation>Освободите место или увеличьте квоту в «Настройках», затем составьте план заново.</translation>
    </message>
    <message>
        <location line="+39"/>
        <source>Keep both: {name}</source>
        <translation>Оставить оба: {name}</translation>
    </message>
</context>
<context>
    <name>TransferPanel</name>
    <message>
        <location filename="../../app/views/transfer_panel.py" line="+162"/>
        <location line="+148"/>
        <source>Pause</source>
        <translation>Пауза</translation>
    </message>
    <message>
        <location line="-145"/>
        <source>Cancel selected</source>
        <translation>Отменить выбранные</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancel all</source>
        <translation>Отменить все</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Retry failed</source>
        <translation>Повторить неудачные</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Clear finished</source>
        <translation>Убрать завершённые</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>How many transfers run at the same time</source>
        <translation>Сколько передач выполняется одновременно</translation>
    </message>
    <message>
        <location line="+57"/>
        <source>Transfers at once:</source>
        <translation>Одновременно:</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Cancel</source>
        <translation>Отменить</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <location line="+30"/>
        <source>Resume</source>
        <translation>Продолжить</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Continue the paused transfers</source>
        <translation>Продолжить приостановленные передачи</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pause the running transfers (between parts) and start no new ones</source>
        <translation>Приостановить идущие передачи (между частями) и не начинать новые</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The queue stopped: {reason}</source>
        <translation>Очередь остановлена: {reason}</translation>
    </message>
</context>
<context>
    <name>TransferPlan</name>
    <message>
        <location filename="../../app/transfer_plan.py" line="+83"/>
        <source>not a regular file</source>
        <translation>не обычный файл</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Not started: this needs {needed}, but only {free} of the {quota} quota is free.</source>
        <translation>Не запущено: нужно {needed}, а из квоты {quota} свободно только {free}.</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>After this transfer the store will be {percent} full ({used} of {quota}).</source>
        <translation>После этой передачи хранилище будет заполнено на {percent} ({used} из {quota}).</translation>
    </message>
</context>
<context>
    <name>TransferTableModel</name>
    <message>
        <location filename="../../app/models/transfer_model.py" line="+62"/>
        <source>Name</source>
        <extracomment>0..100, or -1 while the size is unknown (the delegate draws a busy bar). The job&apos;s id (a uuid string), for actions on selected rows. The job&apos;s :class:`JobState`. An int that orders rows as the panel shows them: running first, then failed, queued and finished, each group in queue order (see :func:`display_rank`). Column headers: English source texts, shown translated (context &quot;TransferTableModel&quot;).</extracomment>
        <translation>Имя</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Direction</source>
        <translation>Направление</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Size</source>
        <translation>Размер</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Progress</source>
        <translation>Ход</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Speed</source>
        <translation>Скорость</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>ETA</source>
        <translation>Осталось</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>State</source>
        <translation>Состояние</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Upload</source>
        <extracomment>What the Direction and State columns show for each kind and state (the enum values are the English texts and stay as they are: code compares them).</extracomment>
        <translation>Загрузка</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Download</source>
        <translation>Скачивание</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete</source>
        <translation>Удаление</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Copy</source>
        <translation>Копирование</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Media</source>
        <translation>Медиа</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Queued</source>
        <translation>В очереди</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Running</source>
        <translation>Выполняется</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Done</source>
        <translation>Готово</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Failed</source>
        <translation>Ошибка</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancelled</source>
        <translation>Отменено</translation>
    </message>
    <message numerus="yes">
        <location line="+43"/>
        <source>%n file(s)</source>
        <extracomment>Display groups, top to bottom: what moves, what needs the user, what waits, what is over.</extracomment>
        <translation>
            <numerusform>%n файл</numerusform>
            <numerusform>%n файла</numerusform>
            <numerusform>%n файлов</numerusform>
        </translation>
    </message>
    <message>
        <location line="+9"/>
        <source>{rate} files/s</source>
        <translation>{rate} файл./с</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Cancelling…</source>
        <translation>Отмена…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Paused</source>
        <translation>Приостановлено</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Pausing…</source>
        <translation>Приостановка…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Queued (stopped)</source>
        <translation>В очереди (остановлено)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Queued (from last session)</source>
        <translation>В очереди (из прошлого сеанса)</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>{count} paused</source>
        <translation>приостановлено: {count}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>{count} running</source>
        <translation>выполняется: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} queued</source>
        <translation>в очереди: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} done</source>
        <translation>готово: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} failed</source>
        <translation>с ошибкой: {count}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{count} cancelled</source>
        <translation>отменено: {count}</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>No transfers</source>
        <translation>Передач нет</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{done} of {total}</source>
        <translation>{done} из {total}</translation>
    </message>
    <message>
        <location line="+139"/>
        <location filename="../../app/views/transfer_panel.py" line="-241"/>
        <source>Saved, NOT verified</source>
        <extracomment>Jobs added since the last flush, in order (they become rows together).
----------
The table asks for room for this many rows (the window&apos;s splitter decides in the end).</extracomment>
        <translation>Сохранено, НЕ проверено</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Stalled</source>
        <translation>Нет движения</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>From: {source}</source>
        <translation>Откуда: {source}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>To: {destination}</source>
        <translation>Куда: {destination}</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Saved, NOT verified: {reason}</source>
        <translation>Сохранено, НЕ проверено: {reason}</translation>
    </message>
</context>
<context>
    <name>TrayController</name>
    <message>
        <location filename="../../app/views/tray.py" line="+151"/>
        <source>Open Leap Sync</source>
        <extracomment>QSettings key: closing the window keeps the app in the tray (default on). QSettings key: the &quot;no tray here&quot; notice was shown once. What the tray can show; ``quota`` is the idle state with a store at 80 % or more. state: (cloud colour, glyph drawn in white on the cloud)</extracomment>
        <translation>Открыть Leap Sync</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Pause sync for 1 hour</source>
        <translation>Приостановить синхронизацию на 1 час</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+161"/>
        <source>Pause until resumed</source>
        <translation>Приостановить до возобновления</translation>
    </message>
    <message>
        <location line="-158"/>
        <source>Sync now</source>
        <translation>Синхронизировать сейчас</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Quit Leap Sync</source>
        <translation>Выйти из Leap Sync</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>This desktop shows no tray icons, so closing the window quits Leap Sync and background sync stops.</source>
        <translation>Этот рабочий стол не показывает значки в трее, поэтому закрытие окна завершает Leap Sync и фоновая синхронизация останавливается.</translation>
    </message>
    <message>
        <location line="+89"/>
        <source>Leap Sync is still running</source>
        <translation>Leap Sync продолжает работать</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Background sync continues. Quit from this icon&apos;s menu.</source>
        <translation>Фоновая синхронизация продолжается. Выйти можно из меню этого значка.</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Paused until {time}</source>
        <translation>Приостановлено до {time}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Paused</source>
        <translation>Приостановлено</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Error: {message}</source>
        <translation>Ошибка: {message}</translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>Syncing: %n file(s) left</source>
        <translation>
            <numerusform>Синхронизация: остался %n файл</numerusform>
            <numerusform>Синхронизация: осталось %n файла</numerusform>
            <numerusform>Синхронизация: осталось %n файлов</numerusform>
        </translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Syncing</source>
        <translation>Синхронизация</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Storage {percent} % full</source>
        <translation>Хранилище заполнено на {percent} %</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Up to date</source>
        <translation>Всё синхронизировано</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Resume sync</source>
        <translation>Возобновить синхронизацию</translation>
    </message>
</context>
<context>
    <name>TreePane</name>
    <message>
        <location filename="../../app/views/tree_pane.py" line="+140"/>
        <source>Filter…</source>
        <extracomment>Initial widths of the fixed columns; Name takes the rest. The pause in typing after which the filter applies and the store is searched (ms).</extracomment>
        <translation>Фильтр…</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Retry</source>
        <translation>Повторить</translation>
    </message>
    <message>
        <location line="+210"/>
        <source>Searching…</source>
        <translation>Поиск…</translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>Searching… %n match(es) so far</source>
        <translation>
            <numerusform>Поиск… пока найдено %n совпадение</numerusform>
            <numerusform>Поиск… пока найдено %n совпадения</numerusform>
            <numerusform>Поиск… пока найдено %n совпадений</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>More than %n matches: type more of the name</source>
        <translation>
            <numerusform>Больше %n совпадения: введите имя подробнее</numerusform>
            <numerusform>Больше %n совпадений: введите имя подробнее</numerusform>
            <numerusform>Больше %n совпадений: введите имя подробнее</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n match(es) in the store</source>
        <translation>
            <numerusform>%n совпадение в хранилище</numerusform>
            <numerusform>%n совпадения в хранилище</numerusform>
            <numerusform>%n совпадений в хранилище</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Units</name>
    <message>
        <location filename="../../app/messages.py" line="+24"/>
        <source>B</source>
        <extracomment>Binary units, English source text (shown translated: ``МиБ`` in Russian).</extracomment>
        <translation>Б</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>KiB</source>
        <translation>КиБ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>MiB</source>
        <translation>МиБ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>GiB</source>
        <translation>ГиБ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>TiB</source>
        <translation>ТиБ</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>PiB</source>
        <translation>ПиБ</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>{size}/s</source>
        <translation>{size}/с</translation>
    </message>
</context>
</TS>
