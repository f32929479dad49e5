<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>JobQueue</name>
    <message numerus="yes">
        <location filename="../../app/services/transfers.py" line="+530"/>
        <source>Delete %n files</source>
        <extracomment>The unit of jobs that report a share done (0..100) rather than bytes: media jobs. Limit for a resource nobody configured: one at a time is the safe default. Progress reaches the UI at most this often per job (10 signals/s). No new byte for this long while running: the speed column says &quot;stalled&quot; (F3). A cancelled job whose cleanup is still running after this long is shown as cancelled. How to queue the job again after a restart: ``(op, args)`` for the :class:`QueueStore`. Set on a job brought back from the last session: the note its row shows (kept by retry). Running jobs that Pause holds (counted in RUNNING too). Tasks of cancelled jobs whose cleanup outlived CANCEL_GRACE_SECONDS. Futures that running jobs wait on while the queue is paused.</extracomment>
        <translation>
            <numerusform>Delete %n file</numerusform>
            <numerusform>Delete %n files</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <location filename="../../app/views/main_window.py" line="+776"/>
        <source>… and %n more</source>
        <translation>
            <numerusform>… and %n more</numerusform>
            <numerusform>… and %n more</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+6"/>
        <source>Delete %n file(s), {size}, from the S3 bucket?</source>
        <translation>
            <numerusform>Delete %n file, {size}, from the S3 bucket?</numerusform>
            <numerusform>Delete %n files, {size}, from the S3 bucket?</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>Delete %n file(s), {size}, from the local store?</source>
        <translation>
            <numerusform>Delete %n file, {size}, from the local store?</numerusform>
            <numerusform>Delete %n files, {size}, from the local store?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MediaController</name>
    <message numerus="yes">
        <location filename="../../app/views/media_actions.py" line="+257"/>
        <source>Queued “{job}” for %n file(s).</source>
        <translation>
            <numerusform>Queued “{job}” for %n file.</numerusform>
            <numerusform>Queued “{job}” for %n files.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MigrationDialog</name>
    <message numerus="yes">
        <location filename="../../app/views/sync_dialogs.py" line="+520"/>
        <source>… and %n more</source>
        <translation>
            <numerusform>… and %n more</numerusform>
            <numerusform>… and %n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>NotificationBar</name>
    <message numerus="yes">
        <location filename="../../app/views/notification_bar.py" line="+322"/>
        <source>+%n more</source>
        <translation>
            <numerusform>+%n more</numerusform>
            <numerusform>+%n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Notifier</name>
    <message numerus="yes">
        <location filename="../../app/services/notifications.py" line="+111"/>
        <source>{pair}: %n file(s) synced</source>
        <extracomment>Events within this long after the first one share one notification. QSettings key: show notifications (default on). ``show(title, body, level)``; level is ``&quot;info&quot;``, ``&quot;warning&quot;`` or ``&quot;error&quot;``.</extracomment>
        <translation>
            <numerusform>{pair}: %n file synced</numerusform>
            <numerusform>{pair}: %n files synced</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+57"/>
        <source>%n file(s) transferred.</source>
        <translation>
            <numerusform>%n file transferred.</numerusform>
            <numerusform>%n files transferred.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+15"/>
        <source>%n conflict(s): both versions were kept.</source>
        <translation>
            <numerusform>%n conflict: both versions were kept.</numerusform>
            <numerusform>%n conflicts: both versions were kept.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>%n transfer(s) failed</source>
        <translation>
            <numerusform>%n transfer failed</numerusform>
            <numerusform>%n transfers failed</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>…and %n more (see the Transfers tab).</source>
        <translation>
            <numerusform>…and %n more (see the Transfers tab).</numerusform>
            <numerusform>…and %n more (see the Transfers tab).</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>PlanDialog</name>
    <message numerus="yes">
        <location filename="../../app/views/sync_dialogs.py" line="-286"/>
        <source>… and %n more</source>
        <translation>
            <numerusform>… and %n more</numerusform>
            <numerusform>… and %n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncController</name>
    <message numerus="yes">
        <location filename="../../app/views/sync_actions.py" line="+109"/>
        <source>%n name(s) skipped (not safe on this computer)</source>
        <translation>
            <numerusform>%n name skipped (not safe on this computer)</numerusform>
            <numerusform>%n names skipped (not safe on this computer)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+148"/>
        <source>%n step(s)</source>
        <translation>
            <numerusform>%n step</numerusform>
            <numerusform>%n steps</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+12"/>
        <source>%n failure(s)</source>
        <translation>
            <numerusform>%n failure</numerusform>
            <numerusform>%n failures</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+1"/>
        <source>%n step(s) done</source>
        <translation>
            <numerusform>%n step done</numerusform>
            <numerusform>%n steps done</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+9"/>
        <source>%n conflict(s) kept both</source>
        <translation>
            <numerusform>%n conflict kept both</numerusform>
            <numerusform>%n conflicts kept both</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+18"/>
        <source>%n file(s) saved but NOT verified, e.g. {path}: {reason}</source>
        <translation>
            <numerusform>%n file saved but NOT verified, e.g. {path}: {reason}</numerusform>
            <numerusform>%n files saved but NOT verified, e.g. {path}: {reason}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TransferTableModel</name>
    <message numerus="yes">
        <location filename="../../app/models/transfer_model.py" line="+127"/>
        <source>%n file(s)</source>
        <extracomment>Display groups, top to bottom: what moves, what needs the user, what waits, what is over.</extracomment>
        <translation>
            <numerusform>%n file</numerusform>
            <numerusform>%n files</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TrayController</name>
    <message numerus="yes">
        <location filename="../../app/views/tray.py" line="+294"/>
        <source>Syncing: %n file(s) left</source>
        <translation>
            <numerusform>Syncing: %n file left</numerusform>
            <numerusform>Syncing: %n files left</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>TreePane</name>
    <message numerus="yes">
        <location filename="../../app/views/tree_pane.py" line="+359"/>
        <source>Searching… %n match(es) so far</source>
        <translation>
            <numerusform>Searching… %n match so far</numerusform>
            <numerusform>Searching… %n matches so far</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+4"/>
        <source>More than %n matches: type more of the name</source>
        <translation>
            <numerusform>More than %n match: type more of the name</numerusform>
            <numerusform>More than %n matches: type more of the name</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n match(es) in the store</source>
        <translation>
            <numerusform>%n match in the store</numerusform>
            <numerusform>%n matches in the store</numerusform>
        </translation>
    </message>
</context>
</TS>
