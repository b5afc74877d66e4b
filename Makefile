# crmq build.  `make` builds everything into build/; see README.md for the rest.
#   make            build libcrmq, the services and the crmq CLI
#   make test       install missing packages, build, run unit and integration tests
#   make demo       install missing packages, build, start the local stack, import Northwind, print reports
#   make up / down  start / stop the local stack (PostgreSQL, Redis, services) under var/
#   make clean      remove build/
#   make bench-ingest  sales.Ingest against a raw COPY (tests/bench/ingest.sh)
#   make bench-alerts  late payment to its alert on crmq-bus's PUB (tests/bench/alerts.sh)
#   make bench-analytics  reports over 20,000,000 order lines: plain SQL against crmq (tests/bench/analytics.sh)
#   make valgrind-test  the tests with every service and test binary under valgrind
#   SANITIZE=1      build with AddressSanitizer and UBSan (into build-asan/)

CC      ?= cc
#  C++ only for the libphonenumber wrapper (common/*.cc); it also links every
#  binary, so that the C++ runtime (libstdc++, unwinder, the sanitizers' C++
#  parts) comes in
CXX     ?= g++
PKGS    := libczmq libzmq libprotobuf-c libpq hiredis jansson libcrypto
SANITIZE ?=
ifeq ($(SANITIZE),1)
BUILD   ?= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD   ?= build
SANFLAGS :=
endif
OPT     ?= -O2
CFLAGS  := -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror $(SANFLAGS) \
           -Icommon -I$(BUILD)/gen $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
CXXFLAGS := -std=c++17 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -Werror $(SANFLAGS) -Icommon
#  libphonenumber has no .pc; its own DT_NEEDED bring in libprotobuf and
#  abseil (crmq_phone.cc uses neither directly).  ICU (libicu-dev):
#  crmq_phone_region uses it directly, libicuuc (locales, normalisation, data)
#  and libicui18n (Region).  --as-needed: only the binaries that call
#  crmq_phone_* load them.
LDLIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv \
           -Wl,--push-state,--as-needed -lphonenumber -licui18n -licuuc -Wl,--pop-state \
           -lpthread -lm
LDFLAGS := $(SANFLAGS)
#  libraries of one service only: LDLIBS_<service>
LDLIBS_notify := $(shell pkg-config --libs libcurl 2>/dev/null)
#  RRULE schedules of report templates (libical)
LDLIBS_analytics := $(shell pkg-config --libs libical 2>/dev/null)

GEN     := $(BUILD)/gen
OBJ     := $(BUILD)/obj
BIN     := $(BUILD)/bin
LIB     := $(BUILD)/lib/libcrmq.a

PROTOS    := $(wildcard proto/*.proto)
PB_C      := $(patsubst proto/%.proto,$(GEN)/%.pb-c.c,$(PROTOS))
PB_H      := $(PB_C:.c=.h)
MIGRATIONS := $(sort $(wildcard services/*/sql/*.sql))
SERVICES  := bus contacts sales analytics scheduler notify
# schemas in the order they are migrated: bus (the outbox every service writes) first
MIGRATION_ORDER := bus $(filter-out bus,$(SERVICES))

COMMON_SRC := $(wildcard common/*.c)
COMMON_CXX := $(wildcard common/*.cc)
LIB_OBJ    := $(patsubst %.c,$(OBJ)/%.o,$(COMMON_SRC)) $(patsubst %.cc,$(OBJ)/%.o,$(COMMON_CXX)) \
              $(patsubst $(GEN)/%.c,$(OBJ)/gen/%.o,$(PB_C)) $(OBJ)/gen/crmq_migrations.o

SERVICE_BINS := $(patsubst %,$(BIN)/crmq-%,$(SERVICES))
CLI_BIN      := $(BIN)/crmq
TEST_SRC     := $(wildcard tests/integration/*.c)
TEST_BINS    := $(BIN)/crmq-selftest $(patsubst tests/integration/%.c,$(BIN)/%,$(TEST_SRC))
BENCH_SRC    := $(wildcard tests/bench/*.c)
BENCH_BINS   := $(patsubst tests/bench/%.c,$(BIN)/%,$(BENCH_SRC))

.PHONY: all deps test valgrind-test demo up down clean bench-ingest bench-alerts bench-analytics
# generated sources and objects are kept between builds
.SECONDARY:
all: $(SERVICE_BINS) $(CLI_BIN) $(TEST_BINS) $(BENCH_BINS)

deps:
	@deploy/install-deps.sh

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: proto/%.proto
	@mkdir -p $(GEN)
	protoc-c --proto_path=proto --c_out=$(GEN) $<

$(GEN)/crmq_migrations.c: $(MIGRATIONS) tools/embed-migrations.sh
	@mkdir -p $(GEN)
	tools/embed-migrations.sh $(MIGRATION_ORDER) > $@.tmp && mv $@.tmp $@

$(OBJ)/%.o: %.c | $(PB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/common/%.o: common/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(OBJ)/gen/%.o: $(GEN)/%.c | $(PB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

define service_rule
$(BIN)/crmq-$(1): $(patsubst %.c,$(OBJ)/%.o,$(wildcard services/$(1)/*.c)) $(LIB)
	@mkdir -p $(BIN)
	$$(CXX) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS) $$(LDLIBS_$(1))
endef
$(foreach s,$(SERVICES),$(eval $(call service_rule,$(s))))

#  mappings built into the CLI: the importers that are the CSV importer with
#  a mapping of their own (cli_mapping_builtins)
BUILTIN_MAPPINGS := examples/mappings/online_retail.json examples/mappings/superstore.json

$(GEN)/cli_mappings.c: $(BUILTIN_MAPPINGS) tools/embed-mappings.sh
	@mkdir -p $(GEN)
	tools/embed-mappings.sh $(BUILTIN_MAPPINGS) > $@.tmp && mv $@.tmp $@

$(OBJ)/gen/cli_mappings.o: $(GEN)/cli_mappings.c | $(PB_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icli -MMD -MP -c $< -o $@

$(CLI_BIN): $(patsubst %.c,$(OBJ)/%.o,$(wildcard cli/*.c)) $(OBJ)/gen/cli_mappings.o $(LIB)
	@mkdir -p $(BIN)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/crmq-selftest: $(OBJ)/tests/selftest.o $(LIB)
	@mkdir -p $(BIN)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/%: $(OBJ)/tests/integration/%.o $(LIB)
	@mkdir -p $(BIN)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_BINS): $(BIN)/%: $(OBJ)/tests/bench/%.o $(LIB)
	@mkdir -p $(BIN)
	$(CXX) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# crmq-sales against a raw COPY on a stack of its own; BENCH_ARGS="--lines 100000"
bench-ingest: $(SERVICE_BINS) $(CLI_BIN) $(BENCH_BINS)
	BUILD=$(BUILD) tests/bench/ingest.sh $(BENCH_ARGS)

# late payment -> alert.payment.late on a stack of its own; BENCH_ARGS="--events 1000"
bench-alerts: $(SERVICE_BINS) $(BENCH_BINS)
	BUILD=$(BUILD) tests/bench/alerts.sh $(BENCH_ARGS)

# reports: plain SQL against analytics.Report on a stack of its own;
# BENCH_ARGS="--clients 20000 --lines 400000" or "--online-retail"
bench-analytics: $(SERVICE_BINS) $(CLI_BIN) $(BENCH_BINS)
	BUILD=$(BUILD) tests/bench/analytics.sh $(BENCH_ARGS)

test: deps
	$(MAKE) all
	BUILD=$(BUILD) tests/run.sh

VALGRIND := valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
             --errors-for-leak-kinds=definite --num-callers=30

# the tests again with every service and test binary under valgrind
valgrind-test: deps
	$(MAKE) all
	BUILD=$(BUILD) CRMQ_SERVICE_WRAPPER="$(VALGRIND)" CRMQ_TEST_WRAPPER="$(VALGRIND)" \
	    CRMQ_RPC_TIMEOUT_MS=30000 tests/run.sh

demo: deps
	$(MAKE) all
	BUILD=$(BUILD) deploy/demo.sh

up: $(SERVICE_BINS) $(CLI_BIN)
	BUILD=$(BUILD) deploy/stack.sh up var

down:
	deploy/stack.sh down var

clean:
	rm -rf build build-asan

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
