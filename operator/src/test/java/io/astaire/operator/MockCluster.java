package io.astaire.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Set;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * fabric8's mock API server in CRUD mode (it stores what it is sent, serves it back and streams
 * watch events, with the status subresource of CRDs it was sent), plus the one request it does
 * not know: a server-side apply ({@code PATCH application/apply-patch+yaml}). That is answered as
 * the API server answers a single field manager's forced apply: create the object when it is
 * absent, else merge the applied fields into it. Field ownership between managers is not
 * modelled; the operator is the only manager of what it applies.
 *
 * <p>Two defects of fabric8 8.0's mock around a watch that closes are worked around here
 * ({@link UnblockingWatch}). Its listener, on the server's event loop, shuts its sender thread
 * down and waits for it, while that thread may wait (up to 30 s) for a write the same event loop
 * must complete: every request on that loop stalls (a CI run saw a GET time out after 10 s
 * right after a test closed a client). And it leaves the watch registered until that wait is
 * over, so a write meanwhile hands an event to the stopped sender: the write's handler throws,
 * the request never gets an answer (a PUT timed out the same way in the next run). The close is
 * therefore taken off the event loop, and the watch unregistered under the store's write lock
 * (no write is between finding a watch and handing it its event) before its sender stops.
 */
final class MockCluster implements AutoCloseable {
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    final AtomicInteger serverSideApplies = new AtomicInteger();
    private final KubernetesMockServer server;

    MockCluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new ApplyingDispatcher(), false);
        server.init();
        try (var c = client()) {
            c.apiextensions().v1().customResourceDefinitions().resource(ServiceChainCrd.definition()).create();
        }
    }

    NamespacedKubernetesClient client() {
        return server.createClient();
    }

    /** What the Deployment controller and the kubelets would do once the pods run: report every replica available. */
    static void markAvailable(NamespacedKubernetesClient client, String namespace) {
        for (Deployment d : client.apps().deployments().inNamespace(namespace).list().getItems()) {
            int want = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            if (d.getStatus() == null || d.getStatus().getAvailableReplicas() == null || d.getStatus().getAvailableReplicas() != want) {
                d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                        .withReplicas(want).withReadyReplicas(want).withAvailableReplicas(want).build());
                client.apps().deployments().inNamespace(namespace).resource(d).updateStatus();
            }
        }
    }

    static GenericKubernetesResource chain(String yaml) {
        return Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    }

    @Override
    public void close() {
        server.destroy();
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A watch that is unregistered before its sender stops, and whose close and failure handling,
     * which may block, run on a thread of their own instead of the event loop.
     */
    private static final class UnblockingWatch extends WebSocketListener {
        private final WebSocketListener watch;
        private final Runnable unregister;

        UnblockingWatch(WebSocketListener watch, Runnable unregister) {
            this.watch = watch;
            this.unregister = unregister;
        }

        @Override
        public void onBeforeAccept(WebSocket webSocket, Response response) {
            watch.onBeforeAccept(webSocket, response);
        }

        @Override
        public void onOpen(WebSocket webSocket, Response response) {
            watch.onOpen(webSocket, response);
        }

        @Override
        public void onMessage(WebSocket webSocket, String text) {
            watch.onMessage(webSocket, text);
        }

        @Override
        public void onMessage(WebSocket webSocket, byte[] bytes) {
            watch.onMessage(webSocket, bytes);
        }

        @Override
        public void onMessage(WebSocket webSocket, ByteString bytes) {
            watch.onMessage(webSocket, bytes);
        }

        @Override
        public void onPing(WebSocket webSocket, byte[] bytes) {
            watch.onPing(webSocket, bytes);
        }

        @Override
        public void onClosing(WebSocket webSocket, int code, String reason) {
            watch.onClosing(webSocket, code, reason);
        }

        @Override
        public void onClosed(WebSocket webSocket, int code, String reason) {
            Thread.ofVirtual().name("mock-watch-closed").start(() -> {
                unregister.run();
                watch.onClosed(webSocket, code, reason);
            });
        }

        @Override
        public void onFailure(WebSocket webSocket, Throwable failure, Response response) {
            Thread.ofVirtual().name("mock-watch-failed").start(() -> {
                unregister.run();
                watch.onFailure(webSocket, failure, response);
            });
        }
    }

    private final class ApplyingDispatcher extends KubernetesCrudDispatcher {
        private final Set<?> watches = superField("watchEventListeners", Set.class);
        private final ReadWriteLock store = superField("lock", ReadWriteLock.class);

        private <T> T superField(String name, Class<T> type) {
            try {
                java.lang.reflect.Field f = KubernetesCrudDispatcher.class.getDeclaredField(name);
                f.setAccessible(true);
                return type.cast(f.get(this));
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IllegalStateException("KubernetesCrudDispatcher has no " + type.getSimpleName() + " " + name
                        + " any more: see whether MockCluster's watch workaround is still needed", e);
            }
        }

        @Override
        public MockResponse handleWatch(String path) {
            MockResponse response = super.handleWatch(path);
            WebSocketListener watch = response.getWebSocketListener();
            return watch == null ? response : response.withWebSocketUpgrade(new UnblockingWatch(watch, () -> {
                store.writeLock().lock();
                try {
                    watches.remove(watch);
                } finally {
                    store.writeLock().unlock();
                }
            }));
        }

        @Override
        public MockResponse handlePatch(RecordedRequest request) {
            String type = request.getHeader("Content-Type");
            if (type == null || !type.startsWith("application/apply-patch+yaml")) {
                return super.handlePatch(request);
            }
            serverSideApplies.incrementAndGet();
            String path = request.getPath();
            String bare = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
            GenericKubernetesResource applied = Serialization.unmarshal(request.getUtf8Body(), GenericKubernetesResource.class);
            String json = Serialization.asJson(applied);
            if (findResource(getKey(bare)) == null) {
                String collection = bare.substring(0, bare.lastIndexOf('/'));
                return handleCreate(new RecordedRequest("HTTP/1.1", HttpMethod.POST, collection, headers("application/json"), body(json)));
            }
            // A JSON merge (RFC 7386: objects merged, lists replaced) of the applied fields, written back with PUT.
            ObjectNode stored = (ObjectNode) read(findResource(getKey(bare)).getValue());
            JsonNode merged = merge(stored, read(json));
            return handleUpdate(new RecordedRequest("HTTP/1.1", HttpMethod.PUT, bare, headers("application/json"), body(merged.toString())));
        }

        private static JsonNode read(String json) {
            try {
                return JSON.readTree(json);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        private static JsonNode merge(JsonNode target, JsonNode patch) {
            if (!(target instanceof ObjectNode t) || !(patch instanceof ObjectNode p)) {
                return patch;
            }
            for (var e : p.properties()) {
                t.set(e.getKey(), e.getValue().isNull() ? null : merge(t.get(e.getKey()), e.getValue()));
            }
            return t;
        }

        private static Headers headers(String contentType) {
            return Headers.builder().add("Content-Type", contentType).build();
        }

        private static Buffer body(String json) {
            return new Buffer(json.getBytes(StandardCharsets.UTF_8));
        }
    }
}
