#include <catch2/catch.hpp>

#include "ecsim/sim/shell_word.hpp"

namespace test_shell_word {

using ecsim::sim::path_arg;
using ecsim::sim::shell_word;

TEST_CASE("shell word: plain words stay as they are", "[shell]") {
  CHECK(shell_word("scenarios/quickstart.yaml") == "scenarios/quickstart.yaml");
  CHECK(shell_word("--seed") == "--seed");
  CHECK(shell_word("a=b,c+d@e%f:g") == "a=b,c+d@e%f:g");
}

TEST_CASE("shell word: spaces and quotes go in single quotes", "[shell]") {
  CHECK(shell_word("") == "''");
  CHECK(shell_word("f ail.yaml") == "'f ail.yaml'");
  CHECK(shell_word("it's.yaml") == "'it'\\''s.yaml'");
  CHECK(shell_word("$HOME/*.yaml") == "'$HOME/*.yaml'");
}

TEST_CASE("shell word: a control byte keeps the command on one line", "[shell]") {
  const std::string word = shell_word("a\nb\tc'd\\e\x01");
  CHECK(word == "$'a\\nb\\tc\\'d\\\\e\\x01'");
  CHECK(word.find('\n') == std::string::npos);
}

TEST_CASE("shell word: a path beginning with a dash is not an option", "[shell]") {
  CHECK(path_arg("-x.yaml") == "./-x.yaml");
  CHECK(path_arg("x.yaml") == "x.yaml");
  CHECK(path_arg("") == "");
  CHECK(shell_word(path_arg("-f ail.yaml")) == "'./-f ail.yaml'");
}

}  // namespace test_shell_word
