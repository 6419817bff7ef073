// Words of a command line printed for a person to paste into a shell: the
// reproducing commands of sweep and explore, the viewer's "replay with".
#pragma once
#include <string>

namespace ecsim::sim {

// A file's path as an argument: "./-s.yaml" for one beginning with '-',
// which ecsim would take for an option.
std::string path_arg(const std::string& path);
// `word` as bash reads it back as one word: as it is when it holds only
// letters, digits and -_./:=,+@%; in single quotes ("'f ail.yaml'") when
// it holds other printable bytes; in bash's $'...' with escapes when it
// holds a control byte, so that a newline in a path cannot split a printed
// command over two lines.
std::string shell_word(const std::string& word);

}  // namespace ecsim::sim
