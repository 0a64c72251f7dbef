#include "tests/integration/member_process.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cafka::testing {

member_process::member_process(std::string bootstrap, std::string topic, std::string group,
                               std::string events, std::string instance_id)
  : bootstrap_(std::move(bootstrap)),
    topic_(std::move(topic)),
    group_(std::move(group)),
    events_(std::move(events)),
    instance_(std::move(instance_id)) {}

member_process::~member_process() {
  kill9();
}

void member_process::start() {
  if (pid_ > 0)
    return;
  std::string program = std::string{CAFKA_EXAMPLES_DIR} + "/group_consumer";
  std::vector<std::string> args{program, "--bootstrap", bootstrap_, topic_, group_, "1", "-1", events_};
  if (!instance_.empty())
    args.push_back(instance_);
  auto out = events_ + ".out";
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
}

void member_process::stop() {
  if (pid_ > 0)
    ::kill(pid_, SIGSTOP);
}

void member_process::resume() {
  if (pid_ > 0)
    ::kill(pid_, SIGCONT);
}

void member_process::kill9() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGCONT);
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

member_events read_events(const std::string& file) {
  member_events out;
  std::ifstream in{file};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ss{line};
    int64_t ms = 0;
    int member = 0;
    std::string what, topic;
    int32_t p = 0;
    if (!(ss >> ms >> member >> what >> topic >> p))
      continue; // a line cut short by SIGKILL
    topic_partition tp{topic, partition_id{p}};
    if (what == "assigned") {
      auto& hs = out.holds[tp];
      if (!hs.empty() && hs.back().to == std::numeric_limits<int64_t>::max())
        hs.back().to = ms; // the process was killed holding it and started again
      hs.push_back(hold{ms});
      out.held.insert(tp);
    } else if (what == "revoked") {
      std::string lost;
      ss >> lost;
      auto& hs = out.holds[tp];
      if (!hs.empty() && hs.back().to == std::numeric_limits<int64_t>::max()) {
        hs.back().to = ms;
        hs.back().lost = lost == "lost";
      }
      out.held.erase(tp);
      if (lost != "lost")
        ++out.revoked;
    } else if (what == "record") {
      record_event r{ms, tp, 0, {}};
      if (ss >> r.offset >> r.value)
        out.records.push_back(std::move(r));
    }
  }
  return out;
}

std::vector<std::string> overlapping_holds(const std::vector<member_events>& evs,
                                           const std::map<size_t, int64_t>& killed_at) {
  std::map<topic_partition, std::vector<std::pair<int64_t, int64_t>>> spans;
  for (size_t i = 0; i < evs.size(); ++i)
    for (auto& [tp, holds] : evs[i].holds)
      for (auto h : holds) {
        auto k = killed_at.find(i);
        if (k != killed_at.end() && h.to > k->second)
          h.to = std::max(h.from, k->second);
        spans[tp].emplace_back(h.from, h.to);
      }
  std::vector<std::string> out;
  for (auto& [tp, v] : spans) {
    std::sort(v.begin(), v.end());
    for (size_t j = 1; j < v.size(); ++j)
      if (v[j].first < v[j - 1].second)
        out.push_back(to_string(tp) + ": [" + std::to_string(v[j - 1].first) + ", "
                      + std::to_string(v[j - 1].second) + ") overlaps ["
                      + std::to_string(v[j].first) + ", " + std::to_string(v[j].second) + ")");
  }
  return out;
}

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace cafka::testing
