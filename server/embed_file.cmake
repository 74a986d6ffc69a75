# Turns one file into a C array, so the binary carries it and works from any directory:
#   cmake -DIN=docs/openapi.json -DOUT=openapi_gen.c -DNAME=openapi_json -P embed_file.cmake
# defines `const char NAME[]` (the bytes and a terminating 0) and `const size_t NAME_len`.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR n "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
file(WRITE ${OUT} "/* generated from ${IN} by embed_file.cmake; do not edit */\n#include <stddef.h>\n"
  "extern const char ${NAME}[];\nextern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {${hex} 0};\nconst size_t ${NAME}_len = ${n};\n")
