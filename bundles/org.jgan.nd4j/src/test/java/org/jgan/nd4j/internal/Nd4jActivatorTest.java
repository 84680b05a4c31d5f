package org.jgan.nd4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.bytedeco.javacpp.Loader;
import org.jgan.api.NumericsBackend;
import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

/**
 * The activator offers ND4J ({@link NumericsBackend}) only once oneDNN's own binding is loaded too, so that no JavaCPP
 * library loads while a run uses JavaCPP: a library's {@code JNI_OnLoad} fills JavaCPP's unlocked
 * {@code Loader.memberOffsets}, which {@code Pointer.sizeof()} reads. The activator runs against a bundle context that
 * records what JavaCPP has loaded at the moment the service is registered.
 */
class Nd4jActivatorTest {

    private static boolean bindingLoaded() {
        return Loader.getLoadedLibraries().keySet().stream().anyMatch(name -> name.contains("jnidnnl"));
    }

    @Test
    void oneDnnsBindingIsLoadedBeforeNd4jIsOffered() throws Exception {
        assertFalse(bindingLoaded(), "oneDNN's binding was loaded before the activator started, so this JVM shows "
                + "nothing: " + Loader.getLoadedLibraries().keySet());
        CompletableFuture<Map<String, Object>> offered = new CompletableFuture<>();
        ServiceRegistration<?> registration = (ServiceRegistration<?>) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class}, (proxy, method, args) -> {
                    if (method.getName().equals("unregister")) {
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        BundleContext context = (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getProperty":
                            return null;
                        case "registerService":
                            Map<String, Object> seen = new HashMap<>();
                            Dictionary<?, ?> props = (Dictionary<?, ?>) args[2];
                            for (Object key : Collections.list(props.keys())) {
                                seen.put(String.valueOf(key), props.get(key));
                            }
                            seen.put("oneDNN's binding loaded", bindingLoaded());
                            offered.complete(seen);
                            return registration;
                        default:
                            throw new UnsupportedOperationException(method.getName() + Arrays.toString(args));
                    }
                });
        Nd4jActivator activator = new Nd4jActivator();
        activator.start(context);
        try {
            Map<String, Object> seen;
            try {
                seen = offered.get(180, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                String loader = Thread.getAllStackTraces().entrySet().stream()
                        .filter(t -> t.getKey().getName().equals("jgan-nd4j-loader"))
                        .map(t -> t.getKey().getState() + " at " + Arrays.stream(t.getValue()).limit(8)
                                .map(String::valueOf).collect(Collectors.joining(" < ")))
                        .findFirst().orElse("no loader thread");
                fail("ND4J not offered within 180 s; the loader thread: " + loader);
                return;
            }
            assertEquals(Boolean.TRUE, seen.get(NumericsBackend.READY), "ND4J loaded: " + seen);
            assertEquals(Boolean.TRUE, seen.get("oneDNN's binding loaded"), "when ND4J was offered: " + seen
                    + "; JavaCPP's libraries now: " + Loader.getLoadedLibraries().keySet());
        } finally {
            activator.stop(context);
        }
    }
}
