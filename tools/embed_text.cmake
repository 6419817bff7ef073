# Turns a text file into a C++ source defining `ecsim::scenario::kQuickstartYaml`.
file(READ ${IN} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUT} "// Generated from scenarios/quickstart.yaml; do not edit.\n#include <string_view>\nnamespace ecsim::scenario {\nstatic const char kBytes[] = {${bytes} 0};\nextern const std::string_view kQuickstartYaml{kBytes, sizeof(kBytes) - 1};\n}\n")
