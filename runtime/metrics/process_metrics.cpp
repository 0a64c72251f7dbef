#include "runtime/metrics/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace cafka::metrics {

namespace {

// The fields of /proc/self/stat after the command name, which may hold spaces and ends at
// the last ')'. Field 3 (state) is index 0.
std::vector<std::string> stat_fields() {
  std::ifstream in{"/proc/self/stat"};
  std::string line;
  std::getline(in, line);
  std::vector<std::string> out;
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return out;
  std::istringstream rest{line.substr(close + 1)};
  std::string f;
  while (rest >> f)
    out.push_back(f);
  return out;
}

double stat_number(size_t field) {
  auto fs = stat_fields();
  // /proc/[pid]/stat numbers its fields from 1; index 0 of ours is field 3.
  if (field < 3 || fs.size() <= field - 3)
    return -1;
  return std::strtod(fs[field - 3].c_str(), nullptr);
}

double cpu_seconds() {
  auto ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  auto user = stat_number(14);
  auto sys = stat_number(15);
  if (ticks <= 0 || user < 0 || sys < 0)
    return -1;
  return (user + sys) / ticks;
}

double virtual_memory_bytes() {
  return stat_number(23);
}

double threads() {
  return stat_number(20);
}

double max_fds() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return -1;
  return static_cast<double>(rl.rlim_cur);
}

} // namespace

double open_fds() {
  auto dir = ::opendir("/proc/self/fd");
  if (dir == nullptr)
    return -1;
  double n = 0;
  while (auto e = ::readdir(dir))
    if (e->d_name[0] != '.')
      ++n;
  ::closedir(dir);
  return n - 1;  // the directory stream's own descriptor
}

double resident_memory_bytes() {
  std::ifstream in{"/proc/self/statm"};
  double size = 0;
  double resident = 0;
  if (!(in >> size >> resident))
    return -1;
  return resident * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

caf::error add_process_metrics(metric_registry& r, size_t scheduler_threads) {
  auto start = std::chrono::duration<double>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  struct def {
    const char* name;
    const char* help;
    std::function<double()> read;
  };
  def gauges[] = {
    {"cafka_process_resident_memory_bytes", "Resident memory of the node's process.",
     resident_memory_bytes},
    {"cafka_process_virtual_memory_bytes", "Virtual memory of the node's process.",
     virtual_memory_bytes},
    {"cafka_process_open_fds", "Open file descriptors of the node's process.", open_fds},
    {"cafka_process_max_fds", "The process's limit of open file descriptors.", max_fds},
    {"cafka_process_threads", "Threads of the node's process.", threads},
    {"cafka_process_start_time_seconds", "When the node's process started, unix seconds.",
     [start] { return start; }},
    {"cafka_scheduler_threads", "Threads of the node's actor scheduler.",
     [scheduler_threads] { return static_cast<double>(scheduler_threads); }},
  };
  for (auto& g : gauges) {
    auto f = r.add_gauge(g.name, g.help, {}, 1);
    if (!f)
      return f.error();
    if (auto err = f->with_callback({}, g.read))
      return err;
  }
  // A callback counter: the kernel's count of CPU time only goes up.
  auto cpu = r.add_counter("cafka_process_cpu_seconds_total",
                           "User and system CPU time of the node's process.", {}, 1);
  if (!cpu)
    return cpu.error();
  return cpu->with_callback({}, cpu_seconds);
}

} // namespace cafka::metrics
