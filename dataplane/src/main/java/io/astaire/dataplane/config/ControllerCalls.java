package io.astaire.dataplane.config;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * How one kind of call to the controller fares ({@code watch}: the topology long poll;
 * {@code report}: the node status report): when it last succeeded, whether the last one did, and
 * failures by reason. Published as {@code astaire_controller_failures_total{call,reason}}; the
 * owner adds its own gauges of the success time.
 */
final class ControllerCalls {

    /** Why a call failed; the {@code reason} label. */
    enum Failure {
        /** No answer: connection refused, timed out, name not found. */
        UNREACHABLE("unreachable"),
        /** 401 or 403: the node's token is missing or wrong. */
        REFUSED("refused"),
        /** Any other status that is not a success. */
        ERROR_STATUS("error_status"),
        /** A 200 whose body or headers cannot be used (not an Astaire controller, a broken topology). */
        BAD_ANSWER("bad_answer"),
        /** The node could not build its request (its counters failed, the report would not encode). */
        LOCAL_ERROR("local_error");

        final String label;

        Failure(String label) {
            this.label = label;
        }

        /** The reason of an HTTP status that is not a success. */
        static Failure ofStatus(int status) {
            return status == 401 || status == 403 ? REFUSED : ERROR_STATUS;
        }
    }

    private final String call;
    private final Map<Failure, LongAdder> failures = new EnumMap<>(Failure.class);
    private volatile long lastSuccessMillis = -1;
    private volatile boolean lastOk;

    ControllerCalls(String call) {
        this.call = call;
        for (Failure f : Failure.values()) {
            failures.put(f, new LongAdder());
        }
    }

    void succeeded() {
        lastSuccessMillis = System.currentTimeMillis();
        lastOk = true;
    }

    void failed(Failure why) {
        failures.get(why).increment();
        lastOk = false;
    }

    /** Whether the last call succeeded (false before the first). */
    boolean lastOk() {
        return lastOk;
    }

    /** Seconds since the epoch of the last success, NaN before the first (Prometheus' "no value"). */
    double lastSuccessSeconds() {
        long t = lastSuccessMillis;
        return t < 0 ? Double.NaN : t / 1000.0;
    }

    long failures(Failure why) {
        return failures.get(why).sum();
    }

    /** Registers the failure counters, one series per reason from the start (so a rate over them is never "no data"). */
    void bind(MeterRegistry registry) {
        for (Failure f : Failure.values()) {
            FunctionCounter.builder("astaire.controller.failures", failures.get(f), LongAdder::sum)
                    .description("Calls to the controller that failed, by call (watch, report) and reason")
                    .tags("call", call, "reason", f.label)
                    .register(registry);
        }
    }
}
