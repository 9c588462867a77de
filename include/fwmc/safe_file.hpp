// Opening files in an output folder safely: never through a symbolic link (a planted link would make fwmc read or
// overwrite the file it points to), only regular files (a FIFO would block, a device such as /dev/zero never
// ends), and with a size bound checked before reading.
#pragma once
#include <cstdint>
#include <string>

namespace fwmc {

// Opens `path` read-only without following a link and checks that it is a regular file of at most max_bytes.
// Returns the descriptor (the caller closes it); throws InputError naming the path and what it is instead.
int open_regular_file(const std::string& path, std::uintmax_t max_bytes, std::uintmax_t* size = nullptr);
// The whole file, opened as above.
std::string read_regular_file(const std::string& path, std::uintmax_t max_bytes);
// Whether `path` itself (not a link's target) is a regular file.
bool is_plain_file(const std::string& path);

}  // namespace fwmc
