package org.jgan.engine.internal.model;

import java.util.Map;
import java.util.TreeMap;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.engine.internal.config.RunSpec;

/** What a running model can swap: {@link GanModel#swap} rebuilds its training graphs on the same parameters. */
public final class Swaps {

    private Swaps() {
    }

    /**
     * Why a configuration cannot be swapped in for the running one, or null when it can: the loss, the adversarial
     * weight and the regularizers may change (and a model component's options, e.g. a VAE's beta), except
     * regularizers that change the latent layout (InfoGAN codes) or reparametrize weights (spectral normalization),
     * which the sampling graph and the parameters depend on; the model family ({@code model=}) never changes.
     */
    public static String refusal(RunSpec current, RunSpec changed) {
        if (!current.settings().model().trim().equals(changed.settings().model().trim())) {
            return "the model would change (" + current.settings().model().trim() + " -> "
                    + changed.settings().model().trim() + ")";
        }
        int latent = current.settings().latent();
        if (!LatentLayout.of(current, latent).describe().equals(LatentLayout.of(changed, latent).describe())) {
            return "the latent codes would change (" + LatentLayout.of(current, latent).describe() + " -> "
                    + LatentLayout.of(changed, latent).describe() + ")";
        }
        if (!reparametrizations(current).equals(reparametrizations(changed))) {
            return "the weight reparametrizations would change (" + reparametrizations(current) + " -> "
                    + reparametrizations(changed) + ")";
        }
        return null;
    }

    private static Map<String, String> reparametrizations(RunSpec s) {
        Map<String, String> r = new TreeMap<>();
        for (RunSpec.RegularizerChoice c : s.regularizers()) {
            if (c.kind() == Kind.REPARAMETRIZATION) {
                r.put(c.name(), c.options().toString());
            }
        }
        return r;
    }
}
