// The parked-fetch budgets of Kafka sessions (max-parked-fetches for a node,
// max-parked-fetches-per-connection): all-or-nothing takes, one unit given back per partition
// answer, the rest when a request's units are destroyed, and threads sharing a node budget.
#include <catch2/catch.hpp>

#include <memory>
#include <thread>
#include <vector>

#include "runtime/kafka/parked_fetch_budget.hpp"

using namespace cafka;

TEST_CASE("a budget gives units up to its cap, all or none of a request's",
          "[kafka][limits]") {
  parked_fetch_budget b{5};
  CHECK(b.try_take(3));
  CHECK_FALSE(b.try_take(3));  // 6 > 5: nothing taken
  CHECK(b.in_use() == 3);
  CHECK(b.try_take(2));
  CHECK(b.in_use() == 5);
  CHECK_FALSE(b.try_take(1));
  b.give_back(4);
  CHECK(b.in_use() == 1);
  CHECK(b.cap() == 5);
}

TEST_CASE("a request's units come from the node and its connection or from neither, and "
          "all go back by the time it is destroyed",
          "[kafka][limits]") {
  auto node = std::make_shared<parked_fetch_budget>(10);
  auto conn = std::make_shared<parked_fetch_budget>(4);
  {
    parked_fetches a;
    CHECK(a.take(node, conn, 3));
    CHECK(a.held() == 3);
    CHECK(node->in_use() == 3);
    CHECK(conn->in_use() == 3);
    parked_fetches b;
    // The connection has 1 left: refused, and the node's units are not kept either.
    CHECK_FALSE(b.take(node, conn, 2));
    CHECK(b.held() == 0);
    CHECK(node->in_use() == 3);
    CHECK(conn->in_use() == 3);
    a.release_one();  // a partition answered
    CHECK(a.held() == 2);
    CHECK(node->in_use() == 2);
    CHECK(conn->in_use() == 2);
    CHECK(b.take(node, conn, 2));
    // a dies with 2 units held (the session ended with its long polls outstanding).
  }
  CHECK(node->in_use() == 0);
  CHECK(conn->in_use() == 0);
  // The node's cap binds too, and a null budget is not capped.
  auto small = std::make_shared<parked_fetch_budget>(1);
  parked_fetches c;
  CHECK_FALSE(c.take(small, conn, 2));
  CHECK(conn->in_use() == 0);
  CHECK(c.take(nullptr, conn, 4));
  c.release_all();
  c.release_one();  // nothing left: no effect
  CHECK(conn->in_use() == 0);
}

TEST_CASE("sessions on many threads never hold more than the node's cap", "[kafka][limits]") {
  auto node = std::make_shared<parked_fetch_budget>(100);
  std::vector<std::thread> threads;
  std::vector<int> over(8, 0);
  for (size_t t = 0; t < over.size(); ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20000; ++i) {
        parked_fetches p;
        if (p.take(node, nullptr, 7) && node->in_use() > node->cap())
          ++over[t];
      }
    });
  for (auto& th : threads)
    th.join();
  CHECK(over == std::vector<int>(8, 0));
  CHECK(node->in_use() == 0);
}
