package org.jgan.engine.internal.catalog;

import org.jgan.api.AdversarialLoss;
import org.jgan.api.Architecture;
import org.jgan.api.Dataset;
import org.jgan.api.FeatureExtractor;
import org.jgan.api.GanComponent;
import org.jgan.api.GradientPenalty;
import org.jgan.api.InputTransform;
import org.jgan.api.Metric;
import org.jgan.api.Model;
import org.jgan.api.ParameterConstraint;
import org.jgan.api.Preset;
import org.jgan.api.Regularizer;
import org.jgan.api.Reparametrization;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plug-ins of every kind, as Declarative Services references (multiple, dynamic): DS binds each component
 * service with a {@value GanComponent#NAME} property as it is registered and unbinds it as it leaves, and this
 * keeps the {@link ComponentCatalog} in step, with each registration's {@code service.ranking} and
 * {@code service.id}. Bundles dropped in at run time appear at once. (A ranking changed after registration is
 * not followed; re-register the service to change it.)
 */
@Component(service = PluginReferences.class)
public final class PluginReferences {

    private static final Logger LOG = LoggerFactory.getLogger(PluginReferences.class);

    private final ComponentCatalog catalog = new ComponentCatalog();

    public ComponentCatalog catalog() {
        return catalog;
    }

    private void add(Kind kind, ServiceReference<?> ref, GanComponent service) {
        Object name = ref.getProperty(GanComponent.NAME);
        if (!(name instanceof String n) || n.isBlank()) {
            LOG.warn("{} service {} from bundle {} has no '{}' property; it is ignored", kind.label(),
                    ref.getProperty(Constants.SERVICE_ID), ref.getBundle().getSymbolicName(), GanComponent.NAME);
            return;
        }
        Object ranking = ref.getProperty(Constants.SERVICE_RANKING);
        catalog.add(kind, n, service, ref.getBundle().getSymbolicName(), ref.getBundle().getVersion().toString(),
                ranking instanceof Integer r ? r : 0, (Long) ref.getProperty(Constants.SERVICE_ID));
        LOG.debug("{} '{}' from {} available", kind.label(), n, ref.getBundle().getSymbolicName());
    }

    private void remove(Kind kind, ServiceReference<?> ref, GanComponent service) {
        if (ref.getProperty(GanComponent.NAME) instanceof String n) {
            catalog.remove(kind, n, service);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addArchitecture(ServiceReference<Architecture> ref, Architecture service) {
        add(Kind.ARCHITECTURE, ref, service);
    }

    void removeArchitecture(ServiceReference<Architecture> ref, Architecture service) {
        remove(Kind.ARCHITECTURE, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addAdversarialLoss(ServiceReference<AdversarialLoss> ref, AdversarialLoss service) {
        add(Kind.LOSS, ref, service);
    }

    void removeAdversarialLoss(ServiceReference<AdversarialLoss> ref, AdversarialLoss service) {
        remove(Kind.LOSS, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addRegularizer(ServiceReference<Regularizer> ref, Regularizer service) {
        add(Kind.REGULARIZER, ref, service);
    }

    void removeRegularizer(ServiceReference<Regularizer> ref, Regularizer service) {
        remove(Kind.REGULARIZER, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addGradientPenalty(ServiceReference<GradientPenalty> ref, GradientPenalty service) {
        add(Kind.PENALTY, ref, service);
    }

    void removeGradientPenalty(ServiceReference<GradientPenalty> ref, GradientPenalty service) {
        remove(Kind.PENALTY, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addParameterConstraint(ServiceReference<ParameterConstraint> ref, ParameterConstraint service) {
        add(Kind.CONSTRAINT, ref, service);
    }

    void removeParameterConstraint(ServiceReference<ParameterConstraint> ref, ParameterConstraint service) {
        remove(Kind.CONSTRAINT, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addReparametrization(ServiceReference<Reparametrization> ref, Reparametrization service) {
        add(Kind.REPARAMETRIZATION, ref, service);
    }

    void removeReparametrization(ServiceReference<Reparametrization> ref, Reparametrization service) {
        remove(Kind.REPARAMETRIZATION, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addInputTransform(ServiceReference<InputTransform> ref, InputTransform service) {
        add(Kind.INPUT_TRANSFORM, ref, service);
    }

    void removeInputTransform(ServiceReference<InputTransform> ref, InputTransform service) {
        remove(Kind.INPUT_TRANSFORM, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addDataset(ServiceReference<Dataset> ref, Dataset service) {
        add(Kind.DATASET, ref, service);
    }

    void removeDataset(ServiceReference<Dataset> ref, Dataset service) {
        remove(Kind.DATASET, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addMetric(ServiceReference<Metric> ref, Metric service) {
        add(Kind.METRIC, ref, service);
    }

    void removeMetric(ServiceReference<Metric> ref, Metric service) {
        remove(Kind.METRIC, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addFeatureExtractor(ServiceReference<FeatureExtractor> ref, FeatureExtractor service) {
        add(Kind.FEATURE_EXTRACTOR, ref, service);
    }

    void removeFeatureExtractor(ServiceReference<FeatureExtractor> ref, FeatureExtractor service) {
        remove(Kind.FEATURE_EXTRACTOR, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addModel(ServiceReference<Model> ref, Model service) {
        add(Kind.MODEL, ref, service);
    }

    void removeModel(ServiceReference<Model> ref, Model service) {
        remove(Kind.MODEL, ref, service);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPreset(ServiceReference<Preset> ref, Preset service) {
        add(Kind.PRESET, ref, service);
    }

    void removePreset(ServiceReference<Preset> ref, Preset service) {
        remove(Kind.PRESET, ref, service);
    }
}
