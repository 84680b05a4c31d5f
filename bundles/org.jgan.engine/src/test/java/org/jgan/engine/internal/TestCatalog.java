package org.jgan.engine.internal;

import org.jgan.biggan.internal.BigGanArchitecture;
import org.jgan.datasets.image.internal.IdxDataset;
import org.jgan.datasets.mixture.internal.GridDataset;
import org.jgan.datasets.mixture.internal.RingDataset;
import org.jgan.datasets.mixture.internal.SubmanifoldDataset;
import org.jgan.dcgan.internal.DcganArchitecture;
import org.jgan.engine.internal.catalog.ComponentCatalog;
import org.jgan.engine.internal.catalog.Kind;
import org.jgan.losses.internal.FDivergenceLoss;
import org.jgan.losses.internal.HingeLoss;
import org.jgan.losses.internal.LeastSquaresLoss;
import org.jgan.losses.internal.MinimaxLoss;
import org.jgan.losses.internal.NonSaturatingLoss;
import org.jgan.losses.internal.WassersteinLoss;
import org.jgan.metrics.mixture.internal.MixtureMetric;
import org.jgan.mlp.internal.MlpArchitecture;
import org.jgan.regularizers.internal.DraganPenalty;
import org.jgan.regularizers.internal.FeatureMatching;
import org.jgan.regularizers.internal.HistoricalAveraging;
import org.jgan.regularizers.internal.InfoGanTerm;
import org.jgan.regularizers.internal.InstanceNoise;
import org.jgan.regularizers.internal.OrthogonalRegularization;
import org.jgan.regularizers.internal.R1Penalty;
import org.jgan.regularizers.internal.R2Penalty;
import org.jgan.regularizers.internal.RothFRegularizer;
import org.jgan.regularizers.internal.RothJsRegularizer;
import org.jgan.regularizers.internal.SpectralNormalization;
import org.jgan.regularizers.internal.WeightClipping;
import org.jgan.regularizers.internal.WganGpPenalty;
import org.jgan.resnet.internal.ResnetArchitecture;
import org.jgan.r3gan.internal.R3ganArchitecture;
import org.jgan.sagan.internal.SaganArchitecture;
import org.jgan.stylegan.internal.StyleGanArchitecture;

/** A catalog holding the plug-ins of this repository, as the service registry would. */
public final class TestCatalog {

    private TestCatalog() {
    }

    public static ComponentCatalog create() {
        return fill(new ComponentCatalog());
    }

    /** Adds the components of the plug-in bundles the engine's tests use to {@code c}. */
    public static ComponentCatalog fill(ComponentCatalog c) {
        c.add(Kind.ARCHITECTURE, "mlp", new MlpArchitecture(), "org.jgan.mlp", "0");
        c.add(Kind.ARCHITECTURE, "dcgan", new DcganArchitecture(), "org.jgan.dcgan", "0");
        c.add(Kind.ARCHITECTURE, "resnet", new ResnetArchitecture(), "org.jgan.resnet", "0");
        c.add(Kind.ARCHITECTURE, "sagan", new SaganArchitecture(), "org.jgan.sagan", "0");
        c.add(Kind.ARCHITECTURE, "biggan", new BigGanArchitecture(), "org.jgan.biggan", "0");
        c.add(Kind.ARCHITECTURE, "stylegan", new StyleGanArchitecture(), "org.jgan.stylegan", "0");
        c.add(Kind.ARCHITECTURE, "r3gan", new R3ganArchitecture(), "org.jgan.r3gan", "0");
        c.add(Kind.MODEL, "vae", new org.jgan.vae.internal.VaeModel(), "org.jgan.vae", "0");
        c.add(Kind.LOSS, "nonsaturating", new NonSaturatingLoss(), "org.jgan.losses", "0");
        c.add(Kind.LOSS, "minimax", new MinimaxLoss(), "org.jgan.losses", "0");
        c.add(Kind.DATASET, "ring8", new RingDataset(), "org.jgan.datasets.mixture", "0");
        c.add(Kind.DATASET, "grid25", new GridDataset(), "org.jgan.datasets.mixture", "0");
        c.add(Kind.DATASET, "idx", new IdxDataset(), "org.jgan.datasets.image", "0");
        c.add(Kind.DATASET, "cifar10", new org.jgan.datasets.image.internal.Cifar10Dataset(), "org.jgan.datasets.image",
                "0");
        c.add(Kind.DATASET, "submanifold7", new SubmanifoldDataset(), "org.jgan.datasets.mixture", "0");
        c.add(Kind.DATASET, "test-images", new TestImages(), "org.jgan.engine.tests", "0");
        c.add(Kind.METRIC, "mixture", new MixtureMetric(), "org.jgan.metrics.mixture", "0");
        c.add(Kind.LOSS, "lsgan", new LeastSquaresLoss(), "org.jgan.losses", "0");
        c.add(Kind.LOSS, "wasserstein", new WassersteinLoss(), "org.jgan.losses", "0");
        c.add(Kind.LOSS, "hinge", new HingeLoss(), "org.jgan.losses", "0");
        c.add(Kind.LOSS, "fgan", new FDivergenceLoss(), "org.jgan.losses", "0");
        c.add(Kind.LOSS, "rpgan", new org.jgan.losses.internal.RelativisticPairingLoss(), "org.jgan.losses", "0");
        c.add(Kind.CONSTRAINT, "clip", new WeightClipping(), "org.jgan.regularizers", "0");
        c.add(Kind.PENALTY, "r1", new R1Penalty(), "org.jgan.regularizers", "0");
        c.add(Kind.PENALTY, "r2", new R2Penalty(), "org.jgan.regularizers", "0");
        c.add(Kind.PENALTY, "wgan-gp", new WganGpPenalty(), "org.jgan.regularizers", "0");
        c.add(Kind.PENALTY, "dragan", new DraganPenalty(), "org.jgan.regularizers", "0");
        c.add(Kind.PENALTY, "roth", new RothJsRegularizer(), "org.jgan.regularizers", "0");
        c.add(Kind.PENALTY, "roth-f", new RothFRegularizer(), "org.jgan.regularizers", "0");
        c.add(Kind.REPARAMETRIZATION, "spectral-norm", new SpectralNormalization(), "org.jgan.regularizers", "0");
        c.add(Kind.REGULARIZER, "orthogonal", new OrthogonalRegularization(), "org.jgan.regularizers", "0");
        c.add(Kind.REGULARIZER, "feature-matching", new FeatureMatching(), "org.jgan.regularizers", "0");
        c.add(Kind.REGULARIZER, "historical-averaging", new HistoricalAveraging(), "org.jgan.regularizers", "0");
        c.add(Kind.REGULARIZER, "lecam", new org.jgan.regularizers.internal.LeCamRegularizer(), "org.jgan.regularizers", "0");
        c.add(Kind.INPUT_TRANSFORM, "instance-noise", new InstanceNoise(), "org.jgan.regularizers", "0");
        c.add(Kind.REGULARIZER, "ada", new org.jgan.regularizers.internal.AdaTuning(), "org.jgan.regularizers", "0");
        c.add(Kind.INPUT_TRANSFORM, "diffaugment", new org.jgan.regularizers.internal.DiffAugment(), "org.jgan.regularizers", "0");
        c.add(Kind.REGULARIZER, "infogan", new InfoGanTerm(), "org.jgan.regularizers", "0");
        return c;
    }
}
