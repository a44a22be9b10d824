package io.astaire.controller;

import io.astaire.dataplane.oam.TraceCollector;
import io.astaire.dataplane.oam.TracePlan;
import io.astaire.dataplane.oam.TraceRequest;
import io.astaire.dataplane.oam.TraceResult;
import io.astaire.model.HopAddress;
import io.astaire.model.Topology;
import io.astaire.model.TopologyCodec;
import io.javalin.http.Context;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /v1/chains/{chain}/trace}: runs {@code astaire trace} from the controller, which
 * reaches the ingress and every node (they report to it), and answers with the {@link TraceResult}.
 * A write like any other POST (the bearer token), since it sends packets into the chain; at most
 * {@value #CONCURRENT} traces at a time, as each holds a request thread for up to its timeout.
 */
final class TraceEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(TraceEndpoint.class);
    static final int CONCURRENT = 4;

    private final Registry registry;
    private final Semaphore running = new Semaphore(CONCURRENT);

    TraceEndpoint(Registry registry) {
        this.registry = registry;
    }

    void handle(Context ctx) {
        String chain = ctx.pathParam("chain");
        String body = ctx.body();
        TraceRequest request = TopologyCodec.parse(body == null || body.isBlank() ? "{}" : body, TraceRequest.class);
        Topology topology = registry.state().topology();
        if (topology.chain(chain) == null) {
            throw new ApiException(404, "chain", "no chain named '" + chain + "'");
        }
        TracePlan plan;
        Duration timeout;
        try {
            plan = request.plan(topology, chain);
            timeout = request.timeout();
        } catch (TracePlan.Refused e) {
            throw ApiException.badRequest(e.field(), e.problem());
        }
        InetSocketAddress ingress = resolve(plan.ingress());
        if (!running.tryAcquire()) {
            throw new ApiException(429, null, "at most " + CONCURRENT + " traces run at a time: try again when one has finished");
        }
        try {
            TraceResult result = TraceCollector.run(plan, ingress, timeout);
            LOG.info("trace {} of chain {} ({}): {}", result.trace(), chain, plan.flow(), result.message());
            ctx.json(result);
        } catch (IOException e) {
            throw new ApiException(503, null, "the probe could not be sent to the ingress at " + plan.ingress() + ": " + e.getMessage());
        } finally {
            running.release();
        }
    }

    private static InetSocketAddress resolve(HopAddress ingress) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ingress.host()), ingress.port());
        } catch (UnknownHostException e) {
            throw new ApiException(503, null, "the ingress address '" + ingress + "' does not resolve from the controller");
        }
    }
}
