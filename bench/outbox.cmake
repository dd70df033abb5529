# outbox_bench: durable append and backlog drain throughput of the outbox.
# Included from bench/CMakeLists.txt.
add_executable(outbox_bench ${CMAKE_CURRENT_LIST_DIR}/outbox_bench.cc)
target_link_libraries(outbox_bench PRIVATE rvm_outbox)
