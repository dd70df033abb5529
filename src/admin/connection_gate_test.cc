#include "admin/connection_gate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace rvm::admin {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using State = ConnectionGate::State;

// Admits connections `ids` from `client`, all at `at_ms`.
void AdmitEach(ConnectionGate& gate, const std::string& client, std::initializer_list<uint64_t> ids,
               int64_t at_ms) {
  for (uint64_t id : ids) ASSERT_TRUE(gate.Admit(id, client, at_ms).admitted) << id;
}

TEST(ConnectionGateTest, AdmitsUnderTheLimitsWithoutShedding) {
  ConnectionGate gate({4, 2});
  EXPECT_TRUE(gate.Admit(1, "a", 0).admitted);
  const auto a = gate.Admit(2, "a", 1);
  EXPECT_TRUE(a.admitted);
  EXPECT_THAT(a.shed, IsEmpty());
  EXPECT_EQ(gate.open_from("a"), 2);
}

TEST(ConnectionGateTest, AClientAtItsLimitLosesItsOldestIdleConnection) {
  ConnectionGate gate({10, 3});
  gate.Admit(1, "a", 0);
  gate.Admit(2, "a", 1);
  gate.Admit(3, "a", 2);
  gate.Admit(9, "b", 0);  // another client's older connection is not touched
  const auto a = gate.Admit(4, "a", 3);
  EXPECT_TRUE(a.admitted);
  EXPECT_THAT(a.shed, ElementsAre(1));
  EXPECT_EQ(gate.open_from("a"), 3);
  EXPECT_EQ(gate.open_from("b"), 1);
}

TEST(ConnectionGateTest, IdleConnectionsGoBeforeUnfinishedRequestsAndBusyOnesNever) {
  ConnectionGate gate({3, 3});
  AdmitEach(gate, "a", {1, 2, 3}, 0);
  gate.Update(1, State::kBusy, 1);     // oldest, but being answered
  gate.Update(2, State::kReading, 2);  // sending a request
  gate.Update(3, State::kIdle, 5);     // newest, idle
  EXPECT_THAT(gate.Admit(4, "a", 6).shed, ElementsAre(3));
  gate.Update(4, State::kReading, 7);
  // No idle one left: the oldest unfinished request goes.
  EXPECT_THAT(gate.Admit(5, "a", 8).shed, ElementsAre(2));
}

TEST(ConnectionGateTest, TheTotalLimitShedsAcrossClients) {
  ConnectionGate gate({2, 5});
  gate.Admit(1, "a", 0);
  gate.Admit(2, "b", 1);
  const auto a = gate.Admit(3, "c", 2);
  EXPECT_TRUE(a.admitted);
  EXPECT_THAT(a.shed, ElementsAre(1));
  EXPECT_EQ(gate.open(), 2);
}

TEST(ConnectionGateTest, OverTheTotalTheClientHoldingTheMostLosesOne) {
  ConnectionGate gate({4, 4});
  gate.Admit(1, "quiet", 0);  // the oldest and idle, but its client holds one
  AdmitEach(gate, "flood", {2, 3, 4}, 1);
  gate.Update(2, State::kReading, 2);
  gate.Update(4, State::kIdle, 3);
  const auto a = gate.Admit(5, "other", 5);
  EXPECT_TRUE(a.admitted);
  EXPECT_THAT(a.shed, ElementsAre(3));  // the flood's idle one before its reading one
  EXPECT_EQ(gate.open_from("quiet"), 1);
  EXPECT_EQ(gate.open_from("flood"), 2);
}

TEST(ConnectionGateTest, TheHeaviestClientWithNothingToShedIsPassedOver) {
  ConnectionGate gate({4, 4});
  AdmitEach(gate, "a", {1, 2, 3}, 0);
  gate.Admit(4, "b", 1);
  for (uint64_t id : {1, 2, 3}) gate.Update(id, State::kBusy, 2);
  EXPECT_THAT(gate.Admit(5, "c", 3).shed, ElementsAre(4));
}

TEST(ConnectionGateTest, WhenEveryConnectionIsBusyANewOneIsRefused) {
  ConnectionGate gate({2, 2});
  AdmitEach(gate, "a", {1, 2}, 0);
  gate.Update(1, State::kBusy, 0);
  gate.Update(2, State::kBusy, 0);
  const auto a = gate.Admit(3, "a", 1);
  EXPECT_FALSE(a.admitted);
  EXPECT_THAT(a.shed, IsEmpty());
  EXPECT_EQ(gate.open(), 2);
}

TEST(ConnectionGateTest, RemovingFreesTheClientsSlot) {
  ConnectionGate gate({2, 1});
  gate.Admit(1, "a", 0);
  gate.Remove(1);
  gate.Remove(1);  // twice is harmless
  EXPECT_EQ(gate.open_from("a"), 0);
  EXPECT_THAT(gate.Admit(2, "a", 1).shed, IsEmpty());
}

}  // namespace
}  // namespace rvm::admin
