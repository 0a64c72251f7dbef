#include "tests/integration/kafka_clients.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <regex>
#include <sstream>

#include "runtime/protocol/record_batch.hpp"
#include "runtime/storage/partition_log.hpp"
#include "cafka/eventually.hpp"

namespace cafka::testing {

using cafka::test::eventually;

namespace {

// kcat's record line: lengths first (-1: null), so that binary keys and values parse.
constexpr const char* kcat_format = "%p %o %K %S|%k%s|%h\n";

// Parses one "name=value,name=value" list of kcat's %h.
std::vector<std::pair<std::string, std::string>> parse_kcat_headers(const std::string& s) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < s.size()) {
    auto end = s.find(',', pos);
    if (end == std::string::npos)
      end = s.size();
    auto item = s.substr(pos, end - pos);
    auto eq = item.find('=');
    out.emplace_back(item.substr(0, eq), eq == std::string::npos ? "" : item.substr(eq + 1));
    pos = end + 1;
  }
  return out;
}

bool parse_kcat_records(const std::string& out, std::vector<kafka_record>& records) {
  size_t pos = 0;
  while (pos < out.size()) {
    kafka_record r;
    long long offset = 0;
    long long key_len = 0;
    long long value_len = 0;
    int used = 0;
    if (std::sscanf(out.c_str() + pos, "%d %lld %lld %lld|%n", &r.partition, &offset, &key_len,
                    &value_len, &used)
          != 4
        || used == 0)
      return false;
    r.offset = offset;
    pos += static_cast<size_t>(used);
    auto take = [&](long long n) -> std::optional<std::string> {
      if (n < 0)
        return std::nullopt;
      auto s = out.substr(pos, static_cast<size_t>(n));
      pos += static_cast<size_t>(n);
      return s;
    };
    r.key = take(key_len);
    r.value = take(value_len);
    if (pos >= out.size() || out[pos] != '|')
      return false;
    auto eol = out.find('\n', ++pos);
    if (eol == std::string::npos)
      return false;
    r.headers = parse_kcat_headers(out.substr(pos, eol - pos));
    pos = eol + 1;
    records.push_back(std::move(r));
  }
  return true;
}

// "~" (null) or "x<hex>".
bool unhex(const std::string& field, std::optional<std::string>& out) {
  if (field == "~") {
    out.reset();
    return true;
  }
  if (field.empty() || field[0] != 'x' || field.size() % 2 != 1)
    return false;
  std::string bytes;
  for (size_t i = 1; i < field.size(); i += 2)
    bytes.push_back(static_cast<char>(std::stoi(field.substr(i, 2), nullptr, 16)));
  out = std::move(bytes);
  return true;
}

bool parse_python_line(const std::string& line, kafka_record& r) {
  std::istringstream in{line};
  std::string key;
  std::string value;
  std::string headers;
  if (!(in >> r.partition >> r.offset >> key >> value >> headers) || headers[0] != 'h')
    return false;
  if (!unhex(key, r.key) || !unhex(value, r.value))
    return false;
  std::istringstream hs{headers.substr(1)};
  std::string item;
  while (std::getline(hs, item, ',')) {
    auto eq = item.find('=');
    std::optional<std::string> name;
    std::optional<std::string> v;
    if (eq == std::string::npos || !unhex("x" + item.substr(0, eq), name)
        || !unhex(item.substr(eq + 1), v) || !v)
      return false;
    r.headers.emplace_back(*name, *v);
  }
  return true;
}

std::vector<int32_t> parse_ids(const std::string& s) {
  std::vector<int32_t> out;
  std::istringstream in{s};
  std::string id;
  while (std::getline(in, id, ','))
    out.push_back(std::stoi(id));
  return out;
}

} // namespace

std::string client_script(const std::string& script) {
  return std::string{CAFKA_SOURCE_DIR} + "/tests/integration/kafka/" + script;
}

command_result kcat(std::vector<std::string> args, const std::string& input,
                    std::chrono::milliseconds timeout) {
  return run("/usr/bin/kcat", args, input, timeout);
}

command_result python_client(const std::string& script, std::vector<std::string> args,
                             std::chrono::milliseconds timeout) {
  args.insert(args.begin(), client_script(script));
  return run("/usr/bin/python3", args, {}, timeout);
}

read_result kcat_read(const std::string& bootstrap, const std::string& topic) {
  read_result res;
  auto r = kcat({"-b", bootstrap, "-C", "-e", "-q", "-o", "beginning", "-t", topic, "-f",
                 kcat_format});
  res.error = r.err;
  res.ok = r.exit_code == 0 && parse_kcat_records(r.out, res.records);
  return res;
}

read_result python_read(const std::string& bootstrap, const std::string& topic) {
  read_result res;
  auto r = python_client("clients_consume.py", {"--bootstrap", bootstrap, "--topic", topic});
  res.error = r.err;
  res.ok = r.exit_code == 0;
  std::istringstream in{r.out};
  std::string line;
  while (res.ok && std::getline(in, line)) {
    kafka_record rec;
    res.ok = parse_python_line(line, rec);
    res.records.push_back(std::move(rec));
  }
  return res;
}

kcat_metadata kcat_list(const std::string& bootstrap, const std::string& topic) {
  kcat_metadata md;
  std::vector<std::string> args{"-b", bootstrap, "-L", "-m", "10"};
  if (!topic.empty()) {
    args.push_back("-t");
    args.push_back(topic);
  }
  auto r = kcat(args);
  if (r.exit_code != 0)
    return md;
  static const std::regex broker{R"(^  broker (\d+) at (\S+))"};
  static const std::regex part{R"(^    partition (\d+), leader (-?\d+), replicas: ([\d,]*), )"};
  static const std::regex topic_error{R"(^  topic "[^"]*" with \d+ partitions: )"};
  md.ok = true;
  std::istringstream in{r.out};
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, broker)) {
      md.brokers[std::stoi(m[1])] = m[2];
    } else if (std::regex_search(line, m, part)) {
      md.leaders[std::stoi(m[1])] = std::stoi(m[2]);
      md.replicas[std::stoi(m[1])] = parse_ids(m[3]);
    } else if (std::regex_search(line, topic_error)) {
      md.ok = false;
    }
  }
  return md;
}

bool kafka_ready(const cluster_process& c, const std::vector<int32_t>& nodes, int brokers) {
  return eventually(
    [&] {
      for (auto id : nodes)
        if (kcat_list("127.0.0.1:" + std::to_string(c.kafka_port(id))).brokers.size()
            != static_cast<size_t>(brokers))
          return false;
      return true;
    },
    std::chrono::seconds{30}, std::chrono::milliseconds{50});
}

command_result cli_retrying(const cluster_process& c, std::vector<std::string> args,
                            const std::string& input, int32_t via) {
  command_result r;
  for (int attempt = 0; attempt < 3; ++attempt) {
    r = c.cli(args, input, via);
    if (r.exit_code == 0 || r.err.find("cannot connect") == std::string::npos)
      break;
  }
  return r;
}

int32_t leader_of(const cluster_process& c, const std::string& topic, int32_t partition,
                  int32_t via) {
  int32_t leader = -1;
  eventually(
    [&] {
      auto all = c.leaders(topic, via);
      auto i = all.find(partition);
      leader = i != all.end() ? i->second : -1;
      return leader > 0;
    },
    std::chrono::seconds{20});
  return leader;
}

bool start_kafka_cluster(cluster_process& c, const std::vector<int32_t>& brokers) {
  c.start_all();
  auto n = static_cast<int>(brokers.size());
  return eventually([&] { return c.brokers_alive(n); }, std::chrono::seconds{30})
         && kafka_ready(c, brokers, n);
}

std::set<int> stored_codecs(const cluster_process& c, int32_t node, const std::string& topic,
                            int32_t partition) {
  auto bytes = segment_bytes(c.dir() + "/data/node-" + std::to_string(node) + "/" + topic + "-"
                             + std::to_string(partition));
  std::set<int> out;
  batch_header h;
  for (size_t pos = 0; read_batch_header(bytes.data() + pos, bytes.size() - pos, h)
                       && pos + h.total_size() <= bytes.size();
       pos += h.total_size())
    out.insert(static_cast<int>(h.compression()));
  return out;
}

std::string kafka_address(const cluster_process& c, int32_t id) {
  return "127.0.0.1:" + std::to_string(c.kafka_port(id));
}

bool create_topic(const cluster_process& c, const std::string& topic, int partitions, int rf) {
  auto r = cli_retrying(c, {"topics", "create", "--topic", topic, "--partitions",
                            std::to_string(partitions), "--replication-factor",
                            std::to_string(rf)});
  if (r.exit_code != 0)
    UNSCOPED_INFO("topics create --topic " << topic << ": " << r.err);
  return r.exit_code == 0;
}

consumed_records cafka_consume(const cluster_process& c, const std::string& topic,
                               size_t expected) {
  auto r = cli_retrying(c, {"consume", "--topic", topic, "--from-beginning", "--print-key",
                            "--print-offset", "--max-messages", std::to_string(expected),
                            "--timeout-ms", "10000"});
  consumed_records out;
  out.err = r.err;
  std::istringstream in{r.out};
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    auto tab1 = line.find('\t');
    auto tab2 = line.find('\t', tab1 + 1);
    if (colon == std::string::npos || tab1 == std::string::npos || tab2 == std::string::npos)
      continue;
    out.records.push_back({std::stoi(line.substr(0, colon)), std::stoll(line.substr(colon + 1)),
                           line.substr(tab1 + 1, tab2 - tab1 - 1), line.substr(tab2 + 1)});
  }
  return out;
}

std::multiset<std::string> values_of(const std::vector<kafka_record>& records) {
  std::multiset<std::string> out;
  for (auto& r : records)
    out.insert(r.value.value_or("<null>"));
  return out;
}

std::multiset<std::string> numbered_values(const std::string& prefix, int n) {
  std::multiset<std::string> out;
  for (int i = 0; i < n; ++i)
    out.insert(prefix + "-" + std::to_string(i));
  return out;
}

std::multiset<std::string> line_set(const std::string& text) {
  std::multiset<std::string> out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line))
    out.insert(line);
  return out;
}

std::string lines_of(const std::multiset<std::string>& values) {
  std::string out;
  for (auto& v : values)
    out += v + "\n";
  return out;
}

} // namespace cafka::testing
