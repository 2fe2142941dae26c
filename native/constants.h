/*
 * constants.h: the numbers C and TypeScript must agree on.
 *
 * The addon exports them as `constants` (binding.c, constants()), and
 * test/native/addon.test.ts checks that object against NATIVE_CONSTANTS in
 * src/runtime/native.ts, so a change on one side alone fails a test instead of
 * silently changing what a number means. Event types and spawn steps cross
 * the boundary as the names below, never as these numbers.
 */
#ifndef TINI_CONSTANTS_H
#define TINI_CONSTANTS_H

#define MAX_SIG 65 /* signals are 1..64 on Linux */

/* What a handler recorded (event_t.type); names: EVENT_NAMES. */
enum event_type { EV_REAPED = 1, EV_SIGNAL = 2, EV_STOPPED = 3, EV_PROGRAM_EXITED = 4 };
#define EVENT_NAMES_INIT {NULL, "reaped", "signal", "stopped", "programExited"}
#define EVENT_COUNT 5

/* Where the spawned child failed (spawn_job.failed_step); names: STEP_NAMES. */
enum spawn_step { STEP_NONE = 0, STEP_SETPGID = 1, STEP_TCSETPGRP = 2, STEP_EXEC = 3 };
#define STEP_NAMES_INIT {NULL, "setpgid", "tcsetpgrp", "exec"}
#define STEP_COUNT 4

/* A signal event's err when no program runs yet: the signal is held and
 * delivered once the program runs (0 = sent, > 0 = errno of kill(2)). */
#define SIGNAL_HELD (-1)

/* The exit code of a child whose exec failed, as posix_spawn(3) uses it. It
 * matters only for the wait status: the init's own exit code (126 or 127) is
 * chosen in TypeScript from the typed failure spawn() returns. */
#define CHILD_EXEC_FAILED 127

#endif
