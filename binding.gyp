{
  "targets": [
    {
      "target_name": "tini_native",
      "sources": [
        "native/binding.c",
        "native/child.c",
        "native/events.c",
        "native/fd_facts.c",
        "native/handlers.c",
        "native/handlers_js.c",
        "native/job_control.c",
        "native/log_writer.c",
        "native/napi_util.c",
        "native/pidfd.c",
        "native/proc_self.c",
        "native/reap_gate.c",
        "native/ring.c",
        "native/spawn.c",
        "native/spawn_js.c",
        "native/wake.c",
        "native/zombie_stat.c"
      ],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-O2", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
