{
  "targets": [
    {
      "target_name": "choirmesh_rtp",
      "sources": ["rtp_binding.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-std=gnu11"]
    }
  ]
}
