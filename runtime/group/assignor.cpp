#include "runtime/group/assignor.hpp"

#include <algorithm>
#include <set>

#include "runtime/base/errc.hpp"

namespace cafka::group {

namespace {

bool subscribes(const member_spec& m, const std::string& topic) {
  return std::find(m.topics.begin(), m.topics.end(), topic) != m.topics.end();
}

// The members sorted by id.
std::vector<const member_spec*> by_id(const std::vector<member_spec>& members) {
  std::vector<const member_spec*> out;
  for (auto& m : members)
    out.push_back(&m);
  std::sort(out.begin(), out.end(),
            [](const member_spec* a, const member_spec* b) { return a->member_id < b->member_id; });
  return out;
}

assignment empty_for(const std::vector<member_spec>& members) {
  assignment out;
  for (auto& m : members)
    out[m.member_id];
  return out;
}

// Every partition of an existing topic some member subscribes to, sorted.
std::vector<topic_partition> wanted(const std::vector<member_spec>& members,
                                    const topic_sizes& topics) {
  std::vector<topic_partition> out;
  for (auto& [topic, n] : topics) {
    bool any = std::any_of(members.begin(), members.end(),
                           [&, &t = topic](const member_spec& m) { return subscribes(m, t); });
    if (any)
      for (int32_t p = 0; p < n; ++p)
        out.push_back({topic, partition_id{p}});
  }
  return out;
}

void sort_lists(assignment& a) {
  for (auto& kv : a)
    std::sort(kv.second.begin(), kv.second.end());
}

// Kafka's RangeAssignor: per topic, the subscribers in id order get consecutive ranges, the
// first (partitions % subscribers) one partition more.
class range_assignor : public assignor {
public:
  const char* name() const override { return "range"; }

  assignment assign(const std::vector<member_spec>& members,
                    const topic_sizes& topics) const override {
    auto out = empty_for(members);
    auto sorted = by_id(members);
    for (auto& [topic, n] : topics) {
      std::vector<const member_spec*> subs;
      for (auto m : sorted)
        if (subscribes(*m, topic))
          subs.push_back(m);
      if (subs.empty())
        continue;
      auto count = static_cast<int32_t>(subs.size());
      int32_t per = n / count;
      int32_t extra = n % count;
      for (int32_t i = 0; i < count; ++i) {
        int32_t start = i * per + std::min(i, extra);
        int32_t len = per + (i < extra ? 1 : 0);
        for (int32_t p = start; p < start + len; ++p)
          out[subs[static_cast<size_t>(i)]->member_id].push_back({topic, partition_id{p}});
      }
    }
    return out;
  }
};

// Kafka's RoundRobinAssignor: all partitions in order, dealt to the members in id order,
// skipping members that do not subscribe to the partition's topic.
class round_robin_assignor : public assignor {
public:
  const char* name() const override { return "roundrobin"; }

  assignment assign(const std::vector<member_spec>& members,
                    const topic_sizes& topics) const override {
    auto out = empty_for(members);
    auto sorted = by_id(members);
    size_t next = 0;
    for (auto& tp : wanted(members, topics)) {
      for (size_t k = 0; k < sorted.size(); ++k) {
        auto i = (next + k) % sorted.size();
        if (subscribes(*sorted[i], tp.topic)) {
          out[sorted[i]->member_id].push_back(tp);
          next = i + 1;
          break;
        }
      }
    }
    return out;
  }
};

// Sticky: every member keeps what it owns up to its share, and the rest goes to the members
// with the least. With equal subscriptions the shares differ by at most one; the members
// that own more now get the larger shares, so as little as possible moves. With unequal
// subscriptions a partition nobody below its share can take goes to the least loaded
// subscriber.
class sticky_assignor : public assignor {
public:
  explicit sticky_assignor(const char* name) : name_(name) {}

  const char* name() const override { return name_; }

  assignment assign(const std::vector<member_spec>& members,
                    const topic_sizes& topics) const override {
    auto out = empty_for(members);
    if (members.empty())
      return out;
    auto all = wanted(members, topics);
    std::set<topic_partition> open{all.begin(), all.end()};
    // What each member may keep: owned, still wanted and subscribed, not claimed by a
    // member earlier in id order (two claims can only come from a stale report).
    auto sorted = by_id(members);
    std::map<std::string, std::vector<topic_partition>> kept;
    for (auto m : sorted) {
      auto& k = kept[m->member_id];
      auto owned = m->owned;
      std::sort(owned.begin(), owned.end());
      for (auto& tp : owned)
        if (subscribes(*m, tp.topic) && open.erase(tp) > 0)
          k.push_back(tp);
    }
    // Shares: base, and base + 1 for the `extra` members that keep the most.
    auto count = sorted.size();
    auto base = all.size() / count;
    auto extra = all.size() % count;
    auto order = sorted;
    std::stable_sort(order.begin(), order.end(), [&](const member_spec* a, const member_spec* b) {
      return kept[a->member_id].size() > kept[b->member_id].size();
    });
    std::map<std::string, size_t> share;
    for (size_t i = 0; i < order.size(); ++i)
      share[order[i]->member_id] = base + (i < extra ? 1 : 0);
    for (auto m : sorted) {
      auto& k = kept[m->member_id];
      auto s = share[m->member_id];
      for (size_t i = s; i < k.size(); ++i)
        open.insert(k[i]);
      if (k.size() > s)
        k.resize(s);
      out[m->member_id] = k;
    }
    // The open partitions, in order, each to the least loaded subscriber below its share,
    // else to the least loaded subscriber.
    for (auto& tp : open) {
      const member_spec* best = nullptr;
      bool best_below = false;
      for (auto m : sorted) {
        if (!subscribes(*m, tp.topic))
          continue;
        auto load = out[m->member_id].size();
        bool below = load < share[m->member_id];
        if (best == nullptr || (below && !best_below)
            || (below == best_below && load < out[best->member_id].size())) {
          best = m;
          best_below = below;
        }
      }
      if (best != nullptr)
        out[best->member_id].push_back(tp);
    }
    sort_lists(out);
    return out;
  }

private:
  const char* name_;
};

} // namespace

const std::vector<std::string>& assignor_names() {
  static const std::vector<std::string> names{"range", "roundrobin", "sticky",
                                              "cooperative-sticky"};
  return names;
}

caf::expected<std::unique_ptr<assignor>> make_assignor(const std::string& name) {
  if (name == "range")
    return std::unique_ptr<assignor>{new range_assignor};
  if (name == "roundrobin")
    return std::unique_ptr<assignor>{new round_robin_assignor};
  if (name == "sticky")
    return std::unique_ptr<assignor>{new sticky_assignor{"sticky"}};
  if (name == "cooperative-sticky")
    return std::unique_ptr<assignor>{new sticky_assignor{"cooperative-sticky"}};
  std::string known;
  for (auto& n : assignor_names())
    known += (known.empty() ? "" : ", ") + n;
  return make_error(errc::unsupported_assignor,
                    "no partition assignor named '" + name + "' (known: " + known + ")");
}

} // namespace cafka::group
