import { Module } from '@nestjs/common';
import { MessagingRetentionJob } from './messaging-retention.job.js';
import { OutboxSweeperJob } from './outbox-sweeper.job.js';

@Module({ providers: [OutboxSweeperJob, MessagingRetentionJob] })
export class MessagingModule {}
