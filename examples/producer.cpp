// A producer from plain main(): sends keyed records to a topic, counts delivery reports.
// Usage: producer [--bootstrap host:port[,host:port...] | --config FILE] [topic] [count]
//   defaults: every broker of FILE (./cluster.conf), example, 1000
// Create the topic first: cafka topics create --topic example --partitions 3
#include <chrono>
#include <atomic>
#include <iostream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "cafka/admin.hpp"
#include "cafka/client_system.hpp"
#include "cafka/producer.hpp"
#include "cafka/errc.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args{argv + 1, argv + argc};
  auto bootstrap = cafka::bootstrap_from_args(args);  // takes --bootstrap / --config
  if (!bootstrap) {
    std::cerr << cafka::describe(bootstrap.error()) << "\n";
    return 1;
  }
  std::string topic = args.size() > 0 ? args[0] : "example";
  int count = args.size() > 1 ? std::stoi(args[1]) : 1000;

  cafka::client_system_config cfg;  // cafka's types, the middleman, heartbeats
  caf::actor_system sys{cfg};

  cafka::producer_config pc;
  pc.bootstrap = *bootstrap;  // tried in turn until a broker answers
  pc.acks = -1;       // wait for the leader (and, with replication, every in-sync replica)
  pc.linger_ms = 5;   // batch records for up to 5 ms

  std::atomic<int> delivered{0};
  std::atomic<int> failed{0};
  {
    cafka::producer prod{sys, pc};
    for (int i = 0; i < count; ++i) {
      cafka::producer_record r;
      r.topic = topic;
      r.key = "key-" + std::to_string(i % 10);  // same key -> same partition, in order
      r.value = "value-" + std::to_string(i);
      auto err = prod.send(r, [&](const cafka::delivery_report& rep) {
        // Runs in the producer actor: keep it short.
        if (rep.error)
          ++failed;
        else
          ++delivered;
      });
      if (err) {
        std::cerr << "send failed: " << cafka::describe(err) << "\n";
        return 1;
      }
    }
    if (auto err = prod.flush()) {  // blocks until every record has its report
      std::cerr << "flush failed: " << cafka::describe(err) << "\n";
      return 1;
    }
  } // the producer's destructor closes it
  std::cout << "delivered " << delivered << " records, " << failed << " failed\n";
  return failed == 0 ? 0 : 1;
}
