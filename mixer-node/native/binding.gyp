{
  "targets": [
    {
      "target_name": "choirmesh_opus",
      "sources": ["opus_binding.c"],
      "include_dirs": ["/usr/include/opus", "/usr/local/include/opus"],
      "libraries": ["-lopus"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=c11"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
