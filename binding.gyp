{
  "targets": [
    {
      "target_name": "tini_native",
      "sources": ["native/tini_native.c"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-O2", "-fvisibility=hidden"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
