import BatonAPI
import BatonCrypto
import Consensus
import PluginHost
import Governance

/// Live upgrades on this node: which application instance serves each
/// height, preparing the next one ahead of its height, the switch between two
/// blocks, and waiting (applying nothing) when the plugin is missing.
///
/// The decisions (V-1 … V-3) are `UpgradeLifecycle`'s; here the node loads
/// plugins, serves the instance it names, logs and counts. Without the plan's
/// plugin (V-3) the node keeps its store (safety data included) and its
/// connections while it waits.
extension ConsensusNode {
    /// What `/v1/upgrade` and `/v1/status` show of this node's side of upgrades.
    public var upgradeReadiness: UpgradeReadiness {
        UpgradeReadiness(prepared: lifecycle.prepared?.plan.id.hex, awaitingPlugin: lifecycle.awaiting?.id.hex, problem: lifecycle.problem)
    }

    /// The instance for blocks at `height`, or nil when that application is
    /// not here (not prepared, or its plugin is missing).
    func application(for height: Height) -> (any Application)? {
        lifecycle.instance(for: height, in: upgrades, current: app)
    }

    /// At startup: the plan in force at the next height to apply is this
    /// node's application (a restart after an upgrade's height).
    func adoptApplicationInForce() {
        guard let plan = upgrades.plan(at: status.finalizedHeight + 1), plan != lifecycle.running else { return }
        do {
            guard let makeApplication else { throw UpgradePreparationError(description: "this node cannot load plugins") }
            let instance = try makeApplication(plan)
            logger.notice("running the upgraded application in force at this height",
                          metadata: ["plan": "\(plan)", "height": "\(status.finalizedHeight + 1)"])
            install(instance, plan: plan, switched: false)
        } catch {
            awaitPlugin(plan, reason: "\(error)")
        }
    }

    /// Creates the next decided plan's application ahead of its height (at
    /// most once a second while it fails, with a loud warning each time).
    func prepareUpgrade(now: UInt64, force: Bool = false) {
        guard let next = lifecycle.planToPrepare(in: upgrades, above: status.finalizedHeight, nowMs: now, force: force) else { return }
        do {
            guard let makeApplication else { throw UpgradePreparationError(description: "this node cannot load plugins") }
            lifecycle.didPrepare(next, try makeApplication(next))
            metrics.upgradeReady.set(Double(1))
            logger.notice("upgrade prepared: the new application is loaded and waits for its height",
                          metadata: ["plan": "\(next)"])
        } catch {
            lifecycle.notReady("\(error)")
            metrics.upgradeReady.set(Double(0))
            logger.error("UPGRADE NOT READY: this node cannot load the application a decided plan needs; it will stop applying blocks at the plan's height",
                         metadata: ["plan": "\(next)", "problem": "\(error)"])
        }
    }

    /// After the first block at a plan's height was committed by its
    /// application (V-2): that instance is the node's, the old one goes.
    func switchedApplication(to instance: any Application, at height: Height, now: UInt64) {
        guard let plan = upgrades.plan(at: height) else { return }
        let gap = now >= lastCommitMs ? now - lastCommitMs : 0
        install(instance, plan: plan, switched: true)
        metrics.upgradeSwitchGapMs.set(Double(gap))
        logger.notice("application switched between two blocks",
                      metadata: ["height": "\(height)", "plugin": "\(plan.plugin) \(plan.pluginVersion)",
                                 "gapMs": "\(gap)", "plan": "\(plan.id.short)"])
        events.yield(.upgraded(height: height, plugin: plan.plugin, version: plan.pluginVersion, gapMs: gap))
    }

    private func install(_ instance: any Application, plan: UpgradePlan, switched: Bool) {
        // The previous instance is released here, after its last block; its
        // side workers finish their job and go.
        app = sideLane.serve(instance)
        watchdog.plugin = instance.info.name
        lifecycle.installed(plan, switched: switched)
        functionList.withLock { $0 = instance.functions }
        pluginIdentity.withLock { $0 = (plan.sha256.hex, true) }  // the plan pins it
    }

    /// The plan whose application runs now (nil: the genesis's).
    public var applicationPlan: UpgradePlan? { lifecycle.running }

    /// A block at `height` needs an application this node does not have:
    /// one last try to load it, else wait for it (V-3).
    func missingApplication(at height: Height) {
        guard let plan = upgrades.plan(at: height) else { return }
        prepareUpgrade(now: clock.nowMs(), force: true)
        if application(for: height) == nil { awaitPlugin(plan, reason: upgradeProblem ?? "the plugin is not loaded") }
    }

    /// V-3: applies nothing from `plan`'s height until its plugin is here.
    func awaitPlugin(_ plan: UpgradePlan, reason: String) {
        guard lifecycle.waitFor(plan, reason: reason) else { return }
        metrics.upgradeReady.set(Double(0))
        metrics.awaitingPlugin.set(Double(1))
        logger.critical("STOPPED APPLYING BLOCKS at height \(plan.fromHeight): the chain decided to run \(plan.plugin) \(plan.pluginVersion) (SHA-256 \(plan.sha256.hex)) from there, and this node cannot load it. It stays connected and keeps its data; put the file in its plugin folder and it resumes by itself.",
                        metadata: ["problem": "\(reason)"])
        let node = self, clock = self.clock
        Task {
            while await node.awaitingPlugin != nil, await !node.isStopped {
                await clock.sleep(forMs: 1_000)
                await node.retryAwaitedPlugin()
            }
        }
    }

    /// Whether the node is shut down or stopped itself.
    var isStopped: Bool { stopReason != nil || isShutDown }

    /// Once a second while waiting: the plugin appeared? Then restart the
    /// core from the store (its safety data, its finalized head) and catch up.
    func retryAwaitedPlugin() {
        guard let plan = awaitingPlugin, let makeApplication else { return }
        let instance: any Application
        do { instance = try makeApplication(plan) } catch {
            lifecycle.notReady("\(error)")
            return
        }
        lifecycle.arrived(instance)
        metrics.awaitingPlugin.set(Double(0))
        metrics.upgradeReady.set(Double(1))
        logger.notice("the plan's plugin is here: resuming from the store", metadata: ["plan": "\(plan)"])
        do { try restartCore() } catch {
            stop("cannot resume after loading the upgraded plugin: \(error)")
        }
    }

    /// A fresh core from the store, as a restart would build it (the old
    /// core may have finalized blocks this node did not apply).
    func restartCore() throws {
        let recovered = try store.recoverState()
        core = EventHandler(committee: committee, root: epochRoot, signer: signer, verifier: coreVerifier,
                            config: consensusConfig, recovery: recovered.recovery)
        pendingValidations = [:]
        pendingProductions = [:]
        followUps = []
        status.finalizedHeight = recovered.committedHeight
        status.stateHash = recovered.committedStateHash
        if application(for: recovered.committedHeight + 1) == nil { adoptApplicationInForce() }
        step(.stateExecuted(height: recovered.committedHeight, stateHash: recovered.committedStateHash))
        step(.start(nowMs: clock.nowMs()))
    }
}
