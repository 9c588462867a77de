// A fault injector for the crash-consistency tests, loaded into the fwmc binary with LD_PRELOAD:
//   FWMC_FAULT_KILL_AT=k   SIGKILL the process just before its k-th file event (a file created, or a rename),
//                          so that a loop over k stops a run at every step of its writes;
//   FWMC_FAULT_ENOSPC=s    files created with `s` in their path are /dev/full: every write fails with ENOSPC;
//   FWMC_FAULT_WITHIN=dir  only events on paths under dir count (MPI's start-up creates files of its own).
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdlib>
#include <cstring>

namespace {

std::atomic<long> g_events{0};

void maybe_kill(const char* path) {
  static const long at = [] {
    const char* s = std::getenv("FWMC_FAULT_KILL_AT");
    return s ? std::atol(s) : 0L;
  }();
  const char* within = std::getenv("FWMC_FAULT_WITHIN");
  if (within && path && std::strncmp(path, within, std::strlen(within)) != 0) return;
  if (at > 0 && ++g_events == at) ::raise(SIGKILL);
}

bool full(const char* path) {
  const char* s = std::getenv("FWMC_FAULT_ENOSPC");
  return s && *s && path && std::strstr(path, s);
}

template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

int open_with(const char* name, const char* path, int flags, mode_t mode) {
  using OpenFn = int (*)(const char*, int, ...);
  static OpenFn real_open = next<OpenFn>("open"), real_open64 = next<OpenFn>("open64");
  OpenFn real = std::strcmp(name, "open64") == 0 && real_open64 ? real_open64 : real_open;
  if (flags & O_CREAT) {
    maybe_kill(path);
    if (full(path)) return real("/dev/full", O_WRONLY | (flags & O_CLOEXEC));
  }
  return real(path, flags, mode);
}

}  // namespace

extern "C" {

// The mode argument exists only with O_CREAT.
#define FWMC_SHIM_OPEN(name)                       \
  int name(const char* path, int flags, ...) {     \
    mode_t mode = 0;                               \
    if (flags & O_CREAT) {                         \
      va_list ap;                                  \
      va_start(ap, flags);                         \
      mode = static_cast<mode_t>(va_arg(ap, int)); \
      va_end(ap);                                  \
    }                                              \
    return open_with(#name, path, flags, mode);    \
  }
FWMC_SHIM_OPEN(open)
FWMC_SHIM_OPEN(open64)

int rename(const char* from, const char* to) {
  using RenameFn = int (*)(const char*, const char*);
  static RenameFn real = next<RenameFn>("rename");
  maybe_kill(to);
  return real(from, to);
}

}  // extern "C"
