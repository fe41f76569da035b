import { Module } from '@nestjs/common';
import { AuditLogsController } from './audit-logs.controller.js';
import { AuditLogsService } from './audit-logs.service.js';
import { AuditRecorder } from './audit.recorder.js';

/** The audit trail: the audit-recorder consumer writes it, `GET /api/audit-logs` reads it. */
@Module({ controllers: [AuditLogsController], providers: [AuditRecorder, AuditLogsService] })
export class AuditModule {}
