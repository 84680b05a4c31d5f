package org.jgan.engine.internal.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link GraphPlan#loadOneDnn}, which a model calls before its first allocation, loads oneDNN's binding on the calling
 * thread: no JavaCPP library may load while a run uses JavaCPP (a library's {@code JNI_OnLoad} fills JavaCPP's
 * unlocked {@code Loader.memberOffsets}, which {@code Pointer.sizeof()} reads). Checked in a JVM of its own, where
 * ND4J is loaded and the binding is not yet: the binding is loaded when the call returns, and the call leaves no
 * thread of its own running.
 */
class OneDnnLoadTest {

    private static final Pattern LINE = Pattern.compile(
            "before (true|false), after (true|false), kernels (true|false), threads started \\[(.*)]");

    @Test
    void theBindingIsLoadedOnTheCallingThreadBeforeTheCallReturns() throws Exception {
        String out = ChildJvm.run(Child.class, Map.of(), "the child JVM", 120);
        Matcher m = LINE.matcher(out);
        assertTrue(m.find(), "no report from the child JVM: " + out);
        assertEquals("false", m.group(1), "oneDNN's binding was loaded before the call, so the check shows nothing: "
                + m.group());
        assertEquals("true", m.group(2), "oneDNN's binding not loaded when loadOneDnn returned: " + m.group());
        assertEquals("true", m.group(3), "Gemm's and OneDnnConv's binding: " + m.group());
        assertEquals("", m.group(4), "threads the call left running: " + m.group());
    }

    /** ND4J loaded, then {@link GraphPlan#loadOneDnn} with JavaCPP's loaded libraries looked at on either side. */
    public static final class Child {

        public static void main(String[] args) {
            Nd4j.create(new float[] {1, 2, 3}).sumNumber();
            boolean before = bindingLoaded();
            Set<Thread> running = Thread.getAllStackTraces().keySet();
            GraphPlan.loadOneDnn();
            boolean after = bindingLoaded();
            List<String> started = Thread.getAllStackTraces().keySet().stream().filter(t -> !running.contains(t))
                    .map(Thread::getName).toList();
            System.out.println("before " + before + ", after " + after + ", kernels "
                    + (Gemm.available() && OneDnnConv.available()) + ", threads started "
                    + started.toString().replace(", ", ","));
        }

        private static boolean bindingLoaded() {
            return Loader.getLoadedLibraries().keySet().stream().anyMatch(name -> name.contains("jnidnnl"));
        }
    }
}
