package org.jgan.nd4j.internal;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Whether ND4J runs on the CPU or on CUDA, decided once at start from the override setting, whether this runtime
 * carries the CUDA backend, and what the NVIDIA driver reports ({@link GpuProbe}); with the reason, for the one log
 * line and for the runs' config.json.
 * <p>
 * ND4J 1.0.0-M2.1's only CUDA release ({@code nd4j-cuda-11.6}) carries machine code for compute capabilities 3.7,
 * 5.0, 5.2, 6.0, 6.1, 7.0, 7.5, 8.0 and 8.6 and no PTX. Machine code runs on GPUs of the same major capability and
 * the same or a higher minor one, so Kepler 3.7 through Ada 8.9 can run it; Hopper (9.0: H100, H200) and newer
 * cannot ("no kernel image is available"), and a training started there would fail at its first kernel. CUDA is
 * therefore chosen only when every GPU the process can see can run it (the CUDA backend spreads threads over the
 * visible devices).
 */
record BackendChoice(Backend backend, List<GpuProbe.Gpu> devices, String reason) {

    enum Backend { CPU, CUDA }

    /** Override: {@code auto} (default), {@code cpu} or {@code cuda}. */
    static final String OVERRIDE = "jgan.backend";

    /** The compute capabilities ND4J 1.0.0-M2.1's CUDA kernels are built for, {major, minor}. */
    static final int[][] KERNELS = {{3, 7}, {5, 0}, {5, 2}, {6, 0}, {6, 1}, {7, 0}, {7, 5}, {8, 0}, {8, 6}};

    /** Whether a GPU of this compute capability can run the kernels: one built for its major and a minor up to its. */
    static boolean runs(int major, int minor) {
        for (int[] k : KERNELS) {
            if (k[0] == major && k[1] <= minor) {
                return true;
            }
        }
        return false;
    }

    /** Why a GPU cannot run the kernels, or null when it can. */
    static String unsupported(GpuProbe.Gpu g) {
        if (g.major() < 0) {
            return g + ": the driver does not report its compute capability";
        }
        if (!runs(g.major(), g.minor())) {
            return g + ": compute capability " + g.capability() + " is not supported by ND4J 1.0.0-M2.1's CUDA "
                    + "kernels (built for 3.7 to 8.6, without PTX" + (g.major() >= 9 ? ": Hopper and newer GPUs "
                    + "cannot run them" : "") + ")";
        }
        return null;
    }

    /**
     * @param override     the {@value #OVERRIDE} setting, null for auto
     * @param cudaPackaged whether this runtime carries ND4J's CUDA backend
     * @param probe        asks the driver (only called when the CUDA backend is packaged and not overridden to cpu)
     * @throws IllegalArgumentException for an invalid override, or {@code cuda} forced where it cannot run: ND4J is
     *                                  then not loaded, so no training starts on a device that would fail mid-run
     */
    static BackendChoice choose(String override, boolean cudaPackaged, Supplier<GpuProbe> probe) {
        return choose(override, cudaPackaged, probe, GpuProbe::driverLibrary);
    }

    /**
     * @param driverLibrary whether the driver's {@code libcuda.so.1} is installed (asked only when {@code cuda} is
     *                      forced and nvidia-smi could not be asked)
     */
    static BackendChoice choose(String override, boolean cudaPackaged, Supplier<GpuProbe> probe,
            java.util.function.BooleanSupplier driverLibrary) {
        String wanted = override == null || override.isBlank() ? "auto" : override.trim().toLowerCase(Locale.ROOT);
        if (!List.of("auto", "cpu", "cuda").contains(wanted)) {
            throw new IllegalArgumentException(OVERRIDE + " is '" + override + "'; expected auto, cpu or cuda");
        }
        if (wanted.equals("cpu")) {
            return cpu(OVERRIDE + "=cpu");
        }
        if (!cudaPackaged) {
            if (wanted.equals("cuda")) {
                throw new IllegalArgumentException(OVERRIDE + "=cuda, but this runtime has no CUDA backend; expected "
                        + "the CUDA runtime (mvn -Pcuda, docs/gpu.md)");
            }
            return cpu("this runtime has no CUDA backend (the CUDA runtime is built with mvn -Pcuda, docs/gpu.md)");
        }
        GpuProbe p = probe.get();
        if (p.problem() != null) {
            if (wanted.equals("cuda")) {
                if (!driverLibrary.getAsBoolean()) {
                    throw new IllegalArgumentException(OVERRIDE + "=cuda, but there is no NVIDIA driver: " + p.problem()
                            + ", and no libcuda.so.1; expected an NVIDIA driver (docs/gpu.md)");
                }
                // the user knows better than a missing nvidia-smi (e.g. a container with the driver's library only)
                return new BackendChoice(Backend.CUDA, List.of(), OVERRIDE + "=cuda (the driver could not be asked: "
                        + p.problem() + ")");
            }
            return cpu(p.problem());
        }
        if (p.gpus().isEmpty()) {
            if (wanted.equals("cuda")) {
                throw new IllegalArgumentException(OVERRIDE + "=cuda, but the NVIDIA driver reports no GPU this "
                        + "process can see; expected a GPU (CUDA_VISIBLE_DEVICES), or " + OVERRIDE + "=cpu");
            }
            return cpu("the NVIDIA driver reports no GPU this process can see");
        }
        for (GpuProbe.Gpu g : p.gpus()) {
            String why = unsupported(g);
            if (why != null) {
                String visible = p.gpus().size() > 1 ? "; CUDA_VISIBLE_DEVICES can hide it" : "";
                if (wanted.equals("cuda")) {
                    throw new IllegalArgumentException(OVERRIDE + "=cuda, but " + why + visible + "; expected GPUs of "
                            + "compute capability 3.7 to 8.9 (docs/gpu.md), or " + OVERRIDE + "=cpu");
                }
                return cpu(why + visible);
            }
        }
        return new BackendChoice(Backend.CUDA, p.gpus(), (wanted.equals("cuda") ? OVERRIDE + "=cuda, " : "")
                + (p.gpus().size() == 1 ? p.gpus().get(0).toString() : p.gpus().toString()) + " can run ND4J "
                + "1.0.0-M2.1's CUDA kernels");
    }

    private static BackendChoice cpu(String reason) {
        return new BackendChoice(Backend.CPU, List.of(), reason);
    }

    /** The line the bundle logs: which backend and why. */
    String line() {
        return "ND4J backend " + backend + " chosen because " + reason;
    }
}
